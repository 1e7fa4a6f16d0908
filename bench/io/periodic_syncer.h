// A stand-in for the async log's disk traffic, without the switch: a thread
// that every `interval_ms` appends `bytes_per_sync` to a preallocated file
// and fdatasyncs it, as the log writer does every flush_interval_ms.
//
// Why it exists: on this VM an fdatasync by one process delays every other
// process's wake-ups (bench/RESULTS.md, tenth round: the plain echo floor's
// p99 goes from ~0.15 to ~2 ms beside it). serve_e2e runs the loopback floor
// a second time beside it, so that the switch's async tail can be read
// against a floor that pays the same disk cadence the SPEC's
// flush_interval_ms imposes, next to the plain floor SPEC 14 names.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "ledger/log_files.h"

namespace authswitch::bench {

class PeriodicSyncer {
 public:
  // Creates and preallocates `path` (64 MiB, reused from its start when full).
  // Empty on success, else what failed.
  std::string start(const std::string& path, std::uint32_t interval_ms, std::size_t bytes_per_sync) {
    path_ = path;
    fd_ = ledger::FileDescriptor(::open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600));
    if (!fd_.valid()) return ledger::Status::from_errno(errno, path, -1, "create").to_string();
    if (const int rc = ::posix_fallocate(fd_.get(), 0, file_bytes); rc != 0) {
      return ledger::Status::from_errno(rc, path, -1, "posix_fallocate").to_string();
    }
    chunk_.assign(bytes_per_sync == 0 ? 1 : bytes_per_sync, std::byte{0x5A});
    thread_ = std::thread([this, interval_ms] { run(interval_ms); });
    return {};
  }

  // Joins the thread and removes the file. Returns the fdatasyncs done.
  std::uint64_t stop() {
    stop_.store(true, std::memory_order_release);
    if (thread_.joinable()) thread_.join();
    fd_ = ledger::FileDescriptor();
    if (!path_.empty()) ::unlink(path_.c_str());
    return syncs_;
  }

  ~PeriodicSyncer() { (void)stop(); }

  // The first failed write or sync, empty when none (after stop()).
  [[nodiscard]] const std::string& failure() const noexcept { return failure_; }

 private:
  static constexpr std::int64_t file_bytes = std::int64_t{64} << 20;

  void run(std::uint32_t interval_ms) {
    std::int64_t offset = 0;
    auto next = std::chrono::steady_clock::now();
    while (!stop_.load(std::memory_order_acquire)) {
      next += std::chrono::milliseconds(interval_ms);
      std::this_thread::sleep_until(next);
      if (offset + static_cast<std::int64_t>(chunk_.size()) > file_bytes) offset = 0;
      ledger::Status s = ledger::pwrite_all(fd_.get(), chunk_.data(), chunk_.size(), offset, path_);
      if (s && ::fdatasync(fd_.get()) != 0) s = ledger::Status::from_errno(errno, path_, offset, "fdatasync");
      if (!s) {
        failure_ = s.to_string();
        return;
      }
      offset += static_cast<std::int64_t>(chunk_.size());
      ++syncs_;
    }
  }

  std::string path_;
  ledger::FileDescriptor fd_;
  std::vector<std::byte> chunk_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::uint64_t syncs_ = 0;
  std::string failure_;
};

}  // namespace authswitch::bench
