#include "ledger/log_follower.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "core/assert.h"
#include "ledger/log_files.h"
#include "ledger/record_format.h"

namespace authswitch::ledger {
namespace {

using format::header_bytes;

bool zero_header(const std::byte* p) noexcept {
  for (std::size_t i = 0; i < header_bytes; ++i) {
    if (p[i] != std::byte{0}) return false;
  }
  return true;
}

}  // namespace

LogFollower::~LogFollower() { unmap(); }

void LogFollower::unmap() noexcept {
  if (map_ != nullptr) ::munmap(const_cast<std::byte*>(map_), map_bytes_);
  if (fd_ >= 0) ::close(fd_);
  map_ = nullptr;
  map_bytes_ = 0;
  fd_ = -1;
  offset_ = 0;
}

Status LogFollower::map_segment(const std::string& path, std::uint64_t first_sequence) {
  unmap();
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return Status::from_errno(errno, path, -1, "open segment to follow");
  path_ = path;
  segment_first_ = first_sequence;
  ++segments_opened_;
  bool grown = false;
  return remap_if_grown(grown);
}

Status LogFollower::remap_if_grown(bool& grown) {
  grown = false;
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return Status::from_errno(errno, path_, -1, "stat segment");
  const auto bytes = static_cast<std::size_t>(st.st_size);
  if (bytes <= map_bytes_) return Status{};
  void* m = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd_, 0);
  if (m == MAP_FAILED) return Status::from_errno(errno, path_, -1, "mmap segment");
  ::madvise(m, bytes, MADV_SEQUENTIAL);
  if (map_ != nullptr) ::munmap(const_cast<std::byte*>(map_), map_bytes_);
  map_ = static_cast<const std::byte*>(m);
  map_bytes_ = bytes;
  grown = true;
  return Status{};
}

Status LogFollower::open(const std::string& dir, std::uint64_t next_sequence) {
  AS_ASSERT(next_sequence >= 1);
  unmap();
  dir_ = dir;
  segments_opened_ = 0;
  std::vector<SegmentFile> segments;
  if (Status s = list_segments(dir, segments); !s) return s;
  const SegmentFile* holder = nullptr;
  for (const SegmentFile& f : segments) {
    if (f.first_sequence <= next_sequence) holder = &f;
  }
  if (holder == nullptr) {
    // Nothing written yet (or the next record opens a segment of its own):
    // next() opens the segment named after it.
    if (segments.empty() || segments.front().first_sequence == next_sequence) {
      expected_sequence_ = next_sequence;
      return Status{};
    }
    return Status::error(Fault::missing_records, dir, -1,
                         "no segment holds sequence " + std::to_string(next_sequence) + " (the oldest begins at " +
                             std::to_string(segments.front().first_sequence) + ")");
  }
  if (Status s = map_segment(holder->path, holder->first_sequence); !s) return s;
  expected_sequence_ = holder->first_sequence;
  // Step over (and check) the records before the one asked for: they are all
  // below it, so published.
  RecordView skipped;
  bool has = true;
  while (expected_sequence_ < next_sequence) {
    if (Status s = next(next_sequence - 1, skipped, has); !s) return s;
    if (!has) {
      return Status::error(Fault::missing_records, path_, static_cast<std::int64_t>(offset_),
                           "the log ends before sequence " + std::to_string(next_sequence));
    }
  }
  return Status{};
}

Status LogFollower::next(std::uint64_t limit, RecordView& record, bool& has_record) {
  has_record = false;
  for (;;) {
    if (expected_sequence_ > limit) return Status{};
    // The record is published, so it is whole on disk: here, or at the start
    // of the segment named after it when this one ends.
    bool in_next_segment = map_ == nullptr;
    if (!in_next_segment && offset_ + header_bytes > map_bytes_) {
      bool grown = false;
      if (Status s = remap_if_grown(grown); !s) return s;
      in_next_segment = offset_ + header_bytes > map_bytes_;
    }
    if (!in_next_segment && zero_header(map_ + offset_)) in_next_segment = true;
    if (in_next_segment) {
      if (map_ != nullptr && offset_ == 0) {
        return Status::error(Fault::bad_segment_header, path_, 0, "a published segment without its header record");
      }
      const std::string path = join_path(dir_, segment_file_name(expected_sequence_));
      const std::string previous = path_;
      const auto ended_at = static_cast<std::int64_t>(offset_);
      if (Status s = map_segment(path, expected_sequence_); !s) {
        return Status::error(Fault::sequence_gap, previous.empty() ? path : previous, ended_at,
                             "record " + std::to_string(expected_sequence_) +
                                 " is published but neither follows here nor begins a segment: " + s.to_string());
      }
      continue;
    }
    const auto at = static_cast<std::int64_t>(offset_);
    const std::byte* p = map_ + offset_;
    const format::Header h = format::decode_header(p);
    if (h.length > format::payload_bytes_max) {
      return Status::error(Fault::bad_length, path_, at, "record length " + std::to_string(h.length));
    }
    if (offset_ + header_bytes + h.length > map_bytes_) {
      bool grown = false;
      if (Status s = remap_if_grown(grown); !s) return s;
      if (offset_ + header_bytes + h.length > map_bytes_) {
        return Status::error(Fault::truncated_payload, path_, at, "a published record runs past the segment's end");
      }
      p = map_ + offset_;
    }
    if (Status s = check_record(p, h, path_, offset_, segment_first_, expected_sequence_); !s) return s;
    offset_ += header_bytes + h.length;
    ++expected_sequence_;
    record = record_view(h, p);
    has_record = true;
    return Status{};
  }
}

}  // namespace authswitch::ledger
