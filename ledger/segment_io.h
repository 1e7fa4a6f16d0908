// How the writer thread puts a batch on disk: pwrite + fdatasync, or one
// io_uring submission of a write linked to an fdatasync. Both are measured in
// bench_ledger (bench/RESULTS.md says which is the default and why).
//
// Writer thread only. A failure is returned with the file and offset; the
// caller then stops writing for good (after a failed fdatasync the kernel may
// have dropped the dirty pages, so a retry could report success for data
// that is gone).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ledger/status.h"

// liburing.h stays out of this header: it pulls in <linux/fs.h>, whose
// BLOCK_SIZE macro breaks moodycamel's queue in files that include both.
struct io_uring;

namespace authswitch::ledger {

enum class IoBackend : std::uint8_t { pwrite, io_uring };

class SegmentIo {
 public:
  SegmentIo() = default;
  SegmentIo(const SegmentIo&) = delete;
  SegmentIo& operator=(const SegmentIo&) = delete;
  ~SegmentIo() = default;

  [[nodiscard]] Status init(IoBackend backend);
  [[nodiscard]] IoBackend backend() const noexcept { return backend_; }

  // Writes n bytes at offset and, when `sync`, makes them durable.
  [[nodiscard]] Status write(int fd, const std::string& path, const void* data, std::size_t n, std::int64_t offset,
                             bool sync);
  [[nodiscard]] Status sync(int fd, const std::string& path, std::int64_t offset);
  // An fdatasync that touches no member, for a caller syncing while another
  // thread writes through this object: `injected` (nonzero) fails it as the
  // test hook would.
  [[nodiscard]] static Status sync_fd(int fd, const std::string& path, std::int64_t offset, int injected);

  // Test hooks: the next write / sync fails with this errno (0: none).
  void inject_write_error(int err) noexcept { inject_write_errno_ = err; }
  void inject_sync_error(int err) noexcept { inject_sync_errno_ = err; }

 private:
  [[nodiscard]] Status write_uring(int fd, const std::string& path, const void* data, std::size_t n,
                                   std::int64_t offset, bool sync);

  IoBackend backend_ = IoBackend::pwrite;
  struct RingDeleter {
    void operator()(io_uring* ring) const noexcept;
  };
  std::unique_ptr<io_uring, RingDeleter> ring_;
  int inject_write_errno_ = 0;
  int inject_sync_errno_ = 0;
};

}  // namespace authswitch::ledger
