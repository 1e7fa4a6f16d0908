#include "ledger/segment_io.h"

#include <liburing.h>
#include <unistd.h>

#include <cerrno>

#include "ledger/log_files.h"

namespace authswitch::ledger {
namespace {

constexpr unsigned ring_entries = 8;  // one write and one fsync in flight, with room
constexpr std::uint64_t tag_write = 1;
constexpr std::uint64_t tag_sync = 2;

Status sync_error(int err, const std::string& path, std::int64_t offset) {
  return Status::error(Fault::sync_failed, path, offset, Status::from_errno(err, path, offset, "fdatasync").to_string());
}

}  // namespace

void SegmentIo::RingDeleter::operator()(io_uring* ring) const noexcept {
  io_uring_queue_exit(ring);
  delete ring;
}

Status SegmentIo::init(IoBackend backend) {
  backend_ = backend;
  if (backend == IoBackend::io_uring && !ring_) {
    auto ring = std::make_unique<io_uring>();
    const int rc = io_uring_queue_init(ring_entries, ring.get(), 0);
    if (rc < 0) return Status::from_errno(-rc, "io_uring", -1, "io_uring_queue_init");
    ring_.reset(ring.release());
  }
  return Status{};
}

Status SegmentIo::write(int fd, const std::string& path, const void* data, std::size_t n, std::int64_t offset,
                        bool sync) {
  if (inject_write_errno_ != 0) {
    const int err = inject_write_errno_;
    inject_write_errno_ = 0;
    return Status::from_errno(err, path, offset, "write");
  }
  if (backend_ == IoBackend::io_uring && inject_sync_errno_ == 0) return write_uring(fd, path, data, n, offset, sync);
  if (Status s = pwrite_all(fd, data, n, offset, path); !s) return s;
  return sync ? this->sync(fd, path, offset + static_cast<std::int64_t>(n)) : Status{};
}

Status SegmentIo::sync(int fd, const std::string& path, std::int64_t offset) {
  const int injected = inject_sync_errno_;
  inject_sync_errno_ = 0;
  return sync_fd(fd, path, offset, injected);
}

Status SegmentIo::sync_fd(int fd, const std::string& path, std::int64_t offset, int injected) {
  if (injected != 0) return sync_error(injected, path, offset);
  if (::fdatasync(fd) != 0) return sync_error(errno, path, offset);
  return Status{};
}

Status SegmentIo::write_uring(int fd, const std::string& path, const void* data, std::size_t n, std::int64_t offset,
                              bool sync) {
  // The ring is drained after every call, so its 8 entries are free.
  io_uring_sqe* w = io_uring_get_sqe(ring_.get());
  if (w == nullptr) return Status::error(Fault::io, path, offset, "io_uring submission queue full");
  io_uring_prep_write(w, fd, data, static_cast<unsigned>(n), static_cast<std::uint64_t>(offset));
  io_uring_sqe_set_data64(w, tag_write);
  unsigned expected = 1;
  if (sync) {
    // Linked: the fdatasync starts only after the write completed in full;
    // a short or failed write cancels it.
    w->flags |= IOSQE_IO_LINK;
    io_uring_sqe* f = io_uring_get_sqe(ring_.get());
    if (f == nullptr) return Status::error(Fault::io, path, offset, "io_uring submission queue full");
    io_uring_prep_fsync(f, fd, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data64(f, tag_sync);
    expected = 2;
  }
  int rc;
  do {
    rc = io_uring_submit_and_wait(ring_.get(), expected);
  } while (rc == -EINTR);
  if (rc < 0) return Status::from_errno(-rc, path, offset, "io_uring_submit_and_wait");
  int write_res = 0;
  int sync_res = 0;
  for (unsigned seen = 0; seen < expected; ++seen) {
    io_uring_cqe* cqe = nullptr;
    do {
      rc = io_uring_wait_cqe(ring_.get(), &cqe);
    } while (rc == -EINTR);
    if (rc < 0) return Status::from_errno(-rc, path, offset, "io_uring_wait_cqe");
    (io_uring_cqe_get_data64(cqe) == tag_write ? write_res : sync_res) = cqe->res;
    io_uring_cqe_seen(ring_.get(), cqe);
  }
  if (write_res < 0) return Status::from_errno(-write_res, path, offset, "write");
  const auto written = static_cast<std::size_t>(write_res);
  if (written < n) {
    // A short write (the disk filled up mid-batch) cancelled the linked sync:
    // finish with plain calls, which report the real error.
    const auto* rest = static_cast<const char*>(data) + written;
    if (Status s = pwrite_all(fd, rest, n - written, offset + write_res, path); !s) return s;
    return sync ? this->sync(fd, path, offset + static_cast<std::int64_t>(n)) : Status{};
  }
  if (sync && sync_res < 0) return sync_error(-sync_res, path, offset + static_cast<std::int64_t>(n));
  return Status{};
}

}  // namespace authswitch::ledger
