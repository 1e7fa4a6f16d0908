// Names and housekeeping of the files in a log folder.
//
//   seg-00000000000000000001.wal   a segment; the number is its first sequence
//   seg-prepared.tmp               the next segment, preallocated ahead of time
//   seg-recycled-000...0001.tmp    a pruned segment kept to become a later one
//                                  (its blocks are written: see wal_writer.h)
//   snap-00000000000000004711.snap a snapshot covering sequences 1..4711
//   snap-....snap.tmp              a snapshot being written (ignored, removed)
//   pan.key                        the generated demo PAN key (pan_cipher.h)
//
// Twenty decimal digits hold any u64 and sort by name as by number.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"

namespace authswitch::ledger {

struct SegmentFile {
  std::uint64_t first_sequence;
  std::string path;
};

struct SnapshotFile {
  std::uint64_t covered_sequence;
  std::string path;
};

inline constexpr std::string_view prepared_segment_name = "seg-prepared.tmp";

struct RecycledFile {
  std::uint64_t old_first_sequence;  // the segment it was; only keeps names apart
  std::string path;
};

[[nodiscard]] std::string segment_file_name(std::uint64_t first_sequence);
[[nodiscard]] std::string snapshot_file_name(std::uint64_t covered_sequence);
[[nodiscard]] std::string recycled_file_name(std::uint64_t old_first_sequence);
[[nodiscard]] std::optional<std::uint64_t> parse_segment_file_name(std::string_view name) noexcept;
[[nodiscard]] std::optional<std::uint64_t> parse_snapshot_file_name(std::string_view name) noexcept;
[[nodiscard]] std::string join_path(std::string_view dir, std::string_view name);

// Segments sorted by first sequence. A missing folder is an empty log.
[[nodiscard]] Status list_segments(const std::string& dir, std::vector<SegmentFile>& out);
// Recycled segments, in no particular order.
[[nodiscard]] Status list_recycled(const std::string& dir, std::vector<RecycledFile>& out);
// Snapshots sorted by covered sequence, oldest first.
[[nodiscard]] Status list_snapshots(const std::string& dir, std::vector<SnapshotFile>& out);

// mkdir -p with mode 0700: the log holds transaction data.
[[nodiscard]] Status ensure_directory(const std::string& dir);
// Makes a rename, create or unlink in `dir` durable.
[[nodiscard]] Status sync_directory(const std::string& dir);

// RAII file descriptor.
class FileDescriptor {
 public:
  FileDescriptor() noexcept = default;
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.release()) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor();

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  int release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset() noexcept;

 private:
  int fd_ = -1;
};

// Writes all of `n` bytes at `offset`, retrying short writes and EINTR.
[[nodiscard]] Status pwrite_all(int fd, const void* data, std::size_t n, std::int64_t offset, const std::string& path);
// Reads a whole small file (keys, snapshots under test).
[[nodiscard]] Status read_file(const std::string& path, std::string& out);

}  // namespace authswitch::ledger
