#include "ledger/log_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "core/assert.h"
#include "core/constants.h"
#include "ledger/crc32c.h"
#include "ledger/record_format.h"

namespace authswitch::ledger {
namespace {

using format::header_bytes;

bool all_zero(const std::byte* p, std::size_t n) noexcept {
  if (n == header_bytes) {
    // Per record: four loads, not 28 byte compares.
    static_assert(header_bytes == 3 * 8 + 4);
    return (format::load<std::uint64_t>(p) | format::load<std::uint64_t>(p + 8) |
            format::load<std::uint64_t>(p + 16) | format::load<std::uint32_t>(p + 24)) == 0;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] != std::byte{0}) return false;
  }
  return true;
}

// First index >= from holding a non-zero byte, or n. The preallocated tail of
// a 64 MiB segment is mostly zeros and is scanned once per recovery, so runs
// of zeros go four cache lines a step (the OR of 32 words vectorises), then
// eight bytes a step.
std::size_t next_nonzero(const std::byte* p, std::size_t from, std::size_t n) noexcept {
  std::size_t i = from;
  while (i < n && (i & 7u) != 0) {
    if (p[i] != std::byte{0}) return i;
    ++i;
  }
  constexpr std::size_t step = 256;
  while (i + step <= n) {
    std::uint64_t any = 0;
    for (std::size_t w = 0; w < step; w += 8) any |= format::load<std::uint64_t>(p + i + w);
    if (any != 0) break;
    i += step;
  }
  while (i + 8 <= n && format::load<std::uint64_t>(p + i) == 0) i += 8;
  while (i < n && p[i] == std::byte{0}) ++i;
  return i;
}

bool crc_matches(const std::byte* record, const format::Header& h) noexcept {
  const std::size_t covered = header_bytes - format::crc_covered_offset + h.length;
  return format::unmask_crc(h.crc) == crc32c(record + format::crc_covered_offset, covered);
}

// The cold half of check_record: which check failed, in the order the
// checks are documented.
[[gnu::cold, gnu::noinline]] Status record_fault(const std::byte* record, const format::Header& h,
                                                 const std::string& path, std::int64_t at,
                                                 std::uint64_t segment_first, std::uint64_t expected_sequence) {
  if (!crc_matches(record, h)) {
    return Status::error(Fault::bad_crc, path, at,
                         "record checksum mismatch (expected sequence " + std::to_string(expected_sequence) + ")");
  }
  if (h.reserved != 0) {
    return Status::error(Fault::bad_reserved, path, at, "reserved field is " + std::to_string(h.reserved) + ", not 0");
  }
  if (!format::is_valid_type(h.type)) {
    return Status::error(Fault::bad_type, path, at, "record type " + std::to_string(h.type) + " is not valid");
  }
  const std::byte* payload = record + header_bytes;
  if (at == 0) {
    if (h.type != format::type_segment_header || h.sequence != segment_first ||
        h.length < format::segment_header_payload_bytes ||
        format::load<std::uint64_t>(payload) != format::segment_magic ||
        format::load<std::uint32_t>(payload + 8) != format::format_version) {
      return Status::error(Fault::bad_segment_header, path, at,
                           "the first record is not a segment header for sequence " + std::to_string(segment_first));
    }
  } else if (h.type == format::type_segment_header) {
    return Status::error(Fault::bad_segment_header, path, at, "a segment header inside a segment");
  }
  if (h.sequence != expected_sequence) {
    return Status::error(Fault::sequence_gap, path, at,
                         "sequence " + std::to_string(h.sequence) + " where " + std::to_string(expected_sequence) +
                             " was expected");
  }
  return Status{};
}

}  // namespace

std::string describe(const TailCut& cut) {
  std::string text = cut.file + " at offset " + std::to_string(cut.offset) + ": ";
  if (cut.earlier_use) {
    return text + "the rest of this recycled segment is its earlier use's records, none of this log's";
  }
  return text + std::to_string(cut.bytes) + " bytes of an unfinished write";
}

Status check_record(const std::byte* record, const format::Header& h, const std::string& path, std::size_t offset,
                    std::uint64_t segment_first, std::uint64_t expected_sequence) {
  // Every record but a segment's first: one combined test, then the CRC.
  const bool fields_fine = offset != 0 && h.reserved == 0 && format::is_valid_type(h.type) &&
                           h.type != format::type_segment_header;
  if (fields_fine && h.sequence == expected_sequence && crc_matches(record, h)) [[likely]] {
    return Status{};
  }
  return record_fault(record, h, path, static_cast<std::int64_t>(offset), segment_first, expected_sequence);
}

LogReader::LogReader(LogReader&& other) noexcept { *this = std::move(other); }

LogReader& LogReader::operator=(LogReader&& other) noexcept {
  if (this == &other) return *this;
  close_segment();
  segments_ = std::move(other.segments_);
  segment_index_ = other.segment_index_;
  from_sequence_ = other.from_sequence_;
  expected_sequence_ = other.expected_sequence_;
  map_ = std::exchange(other.map_, nullptr);
  map_bytes_ = std::exchange(other.map_bytes_, 0);
  file_bytes_ = other.file_bytes_;
  offset_ = other.offset_;
  record_offset_ = other.record_offset_;
  segment_device_ = other.segment_device_;
  segment_inode_ = other.segment_inode_;
  at_end_ = std::exchange(other.at_end_, true);
  tail_cut_ = std::move(other.tail_cut_);
  end_file_ = std::move(other.end_file_);
  end_offset_ = other.end_offset_;
  records_checked_ = other.records_checked_;
  segments_read_ = other.segments_read_;
  return *this;
}

LogReader::~LogReader() { close_segment(); }

void LogReader::close_segment() noexcept {
  if (map_ != nullptr) ::munmap(const_cast<std::byte*>(map_), map_bytes_);
  map_ = nullptr;
  map_bytes_ = 0;
  file_bytes_ = 0;
  offset_ = 0;
}

Status LogReader::open(const std::string& dir, std::uint64_t from_sequence) {
  close_segment();
  *this = LogReader();
  from_sequence_ = std::max<std::uint64_t>(from_sequence, 1);
  if (Status s = list_segments(dir, segments_); !s) return s;
  if (segments_.empty()) {
    if (from_sequence_ > 1) {
      return Status::error(Fault::missing_records, dir, -1,
                           "the log is empty but records from sequence " + std::to_string(from_sequence_) +
                               " are needed");
    }
    return Status{};
  }
  std::size_t index = segments_.size();
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].first_sequence <= from_sequence_) index = i;
  }
  if (index == segments_.size()) {
    return Status::error(Fault::missing_records, segments_.front().path, 0,
                         "the oldest segment begins at sequence " + std::to_string(segments_.front().first_sequence) +
                             ", after the sequence needed, " + std::to_string(from_sequence_));
  }
  expected_sequence_ = segments_[index].first_sequence;
  at_end_ = false;
  return open_segment(index);
}

Status LogReader::open_segment(std::size_t index) {
  close_segment();
  segment_index_ = index;
  const std::string& path = segments_[index].path;
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno == ENOENT ? pruned_while_read() : Status::from_errno(errno, path, -1, "open segment");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Status::from_errno(errno, path, -1, "stat segment");
  segment_device_ = static_cast<std::uint64_t>(st.st_dev);
  segment_inode_ = static_cast<std::uint64_t>(st.st_ino);
  file_bytes_ = static_cast<std::size_t>(st.st_size);
  if (file_bytes_ > 0) {
    void* m = ::mmap(nullptr, file_bytes_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (m == MAP_FAILED) return Status::from_errno(errno, path, -1, "mmap segment");
    ::madvise(m, file_bytes_, MADV_SEQUENTIAL);
    map_ = static_cast<const std::byte*>(m);
    map_bytes_ = file_bytes_;
  }
  ++segments_read_;
  return Status{};
}

Status LogReader::next(RecordView& record, bool& has_record) {
  Status s = next_checked(record, has_record);
  // Checked only on a fault: pruning changes nothing a good record shows,
  // since a segment's new use holds sequences the reader does not expect.
  if (!s && s.fault() != Fault::missing_records && segment_replaced()) return pruned_while_read();
  return s;
}

bool LogReader::segment_replaced() const noexcept {
  struct stat st {};
  if (::stat(segments_[segment_index_].path.c_str(), &st) != 0) return errno == ENOENT;
  return static_cast<std::uint64_t>(st.st_dev) != segment_device_ ||
         static_cast<std::uint64_t>(st.st_ino) != segment_inode_;
}

Status LogReader::pruned_while_read() const {
  const std::string& path = segments_[segment_index_].path;
  std::string message =
      "the segment was pruned while being read (a running switch removes or reuses the segments behind its "
      "snapshots)";
  if (segment_index_ + 1 < segments_.size()) {
    message += "; the log still holds the records from sequence " +
               std::to_string(segments_[segment_index_ + 1].first_sequence) + ": read again from there";
  }
  return Status::error(Fault::missing_records, path, -1, message);
}

Status LogReader::next_checked(RecordView& record, bool& has_record) {
  has_record = false;
  while (!at_end_) {
    const std::string& path = segments_[segment_index_].path;
    const auto at = static_cast<std::int64_t>(offset_);
    const std::size_t left = file_bytes_ - offset_;
    const std::byte* p = map_ + offset_;
    if (left < header_bytes || all_zero(p, header_bytes)) {
      if (all_zero(p, std::min(left, header_bytes))) {
        if (Status s = end_of_segment(); !s) return s;
        continue;
      }
      if (Status s = torn_or_corrupt(Status::error(Fault::truncated_header, path, at,
                                                   "the segment ends inside a record header (" +
                                                       std::to_string(left) + " bytes left)"));
          !s) {
        return s;
      }
      continue;
    }
    const format::Header h = format::decode_header(p);
    if (h.length > format::payload_bytes_max) {
      if (Status s = torn_or_corrupt(Status::error(Fault::bad_length, path, at,
                                                   "record length " + std::to_string(h.length) +
                                                       " is above the maximum " +
                                                       std::to_string(format::payload_bytes_max)));
          !s) {
        return s;
      }
      continue;
    }
    if (left - header_bytes < h.length) {
      if (Status s = torn_or_corrupt(Status::error(Fault::truncated_payload, path, at,
                                                   "the segment ends inside a record of " +
                                                       std::to_string(h.length) + " payload bytes"));
          !s) {
        return s;
      }
      continue;
    }
    if (Status s = check_record(p, h, path, offset_, segments_[segment_index_].first_sequence, expected_sequence_);
        !s) [[unlikely]] {
      // A bad CRC may be a torn write. With the CRC good, a record older
      // than the segment is what a recycled segment held before: the write
      // that would have covered it (or the end marker) never landed, which
      // is the tail again. Any other wrong field is corruption or a bug,
      // wherever it sits.
      const bool stale = s.fault() != Fault::bad_crc && h.sequence < segments_[segment_index_].first_sequence;
      if (s.fault() != Fault::bad_crc && !stale) return s;
      if (Status t = torn_or_corrupt(std::move(s), stale); !t) return t;
      continue;
    }
    ++records_checked_;
    ++expected_sequence_;
    record_offset_ = at;
    offset_ += header_bytes + h.length;
    if (h.sequence >= from_sequence_) {
      record = record_view(h, p);
      has_record = true;
      return Status{};
    }
  }
  return Status{};
}

Status LogReader::end_of_segment() {
  const std::string& path = segments_[segment_index_].path;
  if (!is_last_segment()) {
    const SegmentFile& following = segments_[segment_index_ + 1];
    if (following.first_sequence != expected_sequence_) {
      return Status::error(Fault::sequence_gap, following.path, 0,
                           "segment begins at sequence " + std::to_string(following.first_sequence) +
                               " but the previous one ended before " + std::to_string(expected_sequence_));
    }
    return open_segment(segment_index_ + 1);
  }
  // The end of the written data in the last segment: nothing valid may lie
  // beyond it, or a zeroed block has swallowed records.
  if (valid_record_at_or_after(offset_)) {
    return Status::error(Fault::bad_type, path, static_cast<std::int64_t>(offset_),
                         "a zero-filled record header is followed by valid records");
  }
  return end_here();
}

Status LogReader::torn_or_corrupt(Status fault, bool stale) {
  AS_ASSERT(!fault.ok());
  if (!is_last_segment() || valid_record_at_or_after(offset_ + 1)) return fault;
  std::size_t last_nonzero = file_bytes_;
  while (last_nonzero > offset_ && map_[last_nonzero - 1] == std::byte{0}) --last_nonzero;
  // One write is at most a batch and its end marker; in a recycled segment
  // the bytes beyond are its earlier use's, not part of the torn write.
  const std::size_t torn =
      stale ? 0 : std::min(last_nonzero - offset_, constants::wal_batch_bytes_max + format::header_bytes);
  tail_cut_ = TailCut{segments_[segment_index_].path, static_cast<std::int64_t>(offset_), torn, stale};
  return end_here();
}

Status LogReader::end_here() {
  at_end_ = true;
  end_file_ = segments_[segment_index_].path;
  end_offset_ = static_cast<std::int64_t>(offset_);
  close_segment();
  if (from_sequence_ > expected_sequence_) {
    return Status::error(Fault::missing_records, end_file_, end_offset_,
                         "the log ends at sequence " + std::to_string(last_sequence()) +
                             " but records from sequence " + std::to_string(from_sequence_) + " are needed");
  }
  return Status{};
}

Status find_record(const std::string& dir, std::uint64_t sequence, std::string& file, std::int64_t& offset) {
  LogReader reader;
  if (Status s = reader.open(dir, sequence); !s) return s;
  RecordView record;
  bool has_record = false;
  if (Status s = reader.next(record, has_record); !s) return s;
  if (!has_record || record.sequence != sequence) {
    return Status::error(Fault::missing_records, dir, -1,
                         "the log does not hold sequence " + std::to_string(sequence));
  }
  file = reader.record_file();
  offset = reader.record_offset();
  return Status{};
}

bool LogReader::valid_record_at_or_after(std::size_t offset) const noexcept {
  // A candidate start is worth a look only if its 28 header bytes hold a
  // non-zero byte, so zero runs are skipped eight bytes a step.
  std::size_t o = offset;
  while (o + header_bytes <= file_bytes_) {
    const std::size_t z = next_nonzero(map_, o, file_bytes_);
    if (z >= file_bytes_) return false;
    std::size_t candidate = z + 1 >= o + header_bytes ? z + 1 - header_bytes : o;
    for (; candidate <= z && candidate + header_bytes <= file_bytes_; ++candidate) {
      const std::byte* p = map_ + candidate;
      const format::Header h = format::decode_header(p);
      if (h.reserved != 0 || !format::is_valid_type(h.type) || h.length > format::payload_bytes_max) continue;
      if (h.sequence < expected_sequence_) continue;
      if (candidate + header_bytes + h.length > file_bytes_) continue;
      if (crc_matches(p, h)) return true;
    }
    o = z + 1;
  }
  return false;
}

}  // namespace authswitch::ledger
