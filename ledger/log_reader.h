// Reading the log back: recovery replay, `wal dump`, `wal verify`.
//
// The reader walks every segment from the one holding `from_sequence`,
// checking each record's length, CRC, type, reserved field and sequence, and
// each segment's header record. It never skips a bad record:
//
//  - A bad record in the last segment with no valid record anywhere after it
//    is the torn tail of a write the process did not finish (kill -9, power
//    loss): the reader ends there and reports the cut (tail_cut()).
//  - So is a whole record older than its segment's first sequence, in the
//    last segment with nothing newer after it: a recycled segment
//    (wal_writer.h) still holds its earlier use's records past the written
//    ones, and the end marker that hides them is part of the unfinished write.
//  - Any other bad record (a valid record follows it, or it is not in the last
//    segment, or its CRC is good but a field is wrong) is corruption: next()
//    returns an error naming the file and the record's byte offset.
//
// Single-threaded. Records are read in place from a read-only mapping of the
// segment; a RecordView stays valid until the following next().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ledger/log_files.h"
#include "ledger/record_format.h"
#include "ledger/status.h"

namespace authswitch::ledger {

struct RecordView {
  std::uint64_t sequence = 0;
  std::int64_t timestamp_ns = 0;
  std::uint16_t type = 0;
  std::span<const std::byte> payload;
};

// The record whose header `h` was decoded from `record`.
[[nodiscard]] inline RecordView record_view(const format::Header& h, const std::byte* record) noexcept {
  return RecordView{h.sequence, h.timestamp_ns, h.type,
                    std::span<const std::byte>(record + format::header_bytes, h.length)};
}

// The checks of a record whose length fits its segment, shared by LogReader
// and LogFollower so that the two cannot drift apart: the CRC (Fault::bad_crc,
// which the reader may classify as a torn tail), then, the record being whole,
// the reserved field, the type, the segment header's place and content
// (`offset` 0 is the segment's first record, which must be the header for
// `segment_first`) and the sequence. `record` points at the header `h` was
// decoded from; `path` and `offset` name the record in an error.
[[nodiscard]] Status check_record(const std::byte* record, const format::Header& h, const std::string& path,
                                  std::size_t offset, std::uint64_t segment_first, std::uint64_t expected_sequence);

// Where recovery cut a torn tail.
struct TailCut {
  std::string file;
  std::int64_t offset = 0;     // first byte cut (the torn record's start)
  // Non-zero bytes from there to the last non-zero byte, at most one write
  // (a batch and its end marker); 0 when the cut begins at an earlier use's
  // record of a recycled segment.
  std::uint64_t bytes = 0;
  // The cut begins at a whole record of the segment's earlier use: what the
  // segment holds from there is not this log's (a recycled segment).
  bool earlier_use = false;
};

// "FILE at offset N: ..." for the operator: what was cut and why. One
// wording for the writer's start-up line and `wal dump` / `wal verify`.
[[nodiscard]] std::string describe(const TailCut& cut);

// Where the record with `sequence` lies: its segment file and byte offset.
// For error messages about a record whose checks passed but whose content
// is refused later (recovery's decoding): an error path, it reads the log
// again from that record's segment. Fails as LogReader does, or with
// missing_records when the log does not hold the sequence.
[[nodiscard]] Status find_record(const std::string& dir, std::uint64_t sequence, std::string& file,
                                 std::int64_t& offset);

class LogReader {
 public:
  LogReader() = default;
  LogReader(LogReader&&) noexcept;
  LogReader& operator=(LogReader&&) noexcept;
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;
  ~LogReader();

  // Opens the log in `dir` to read the records whose sequence is at least
  // `from_sequence` (0 and 1 both mean from the start). A missing or empty
  // folder is an empty log. Fails with missing_records when the oldest
  // segment left begins after from_sequence.
  [[nodiscard]] Status open(const std::string& dir, std::uint64_t from_sequence);

  // Reads the next record into `record` and sets `has_record`; at the end of
  // the log sets has_record = false and returns OK. After an error, stop.
  // A segment that a running switch prunes while it is read (removed, or
  // renamed for reuse and written over) fails with missing_records, naming
  // the sequence the log still holds from, rather than as corruption.
  [[nodiscard]] Status next(RecordView& record, bool& has_record);

  // Valid once next() reported the end.
  [[nodiscard]] std::uint64_t last_sequence() const noexcept { return expected_sequence_ - 1; }
  [[nodiscard]] const std::optional<TailCut>& tail_cut() const noexcept { return tail_cut_; }
  // The last segment and the offset just past its last valid record: where a
  // writer reopening the log truncates. Empty when there is no segment.
  [[nodiscard]] const std::string& end_file() const noexcept { return end_file_; }
  [[nodiscard]] std::int64_t end_offset() const noexcept { return end_offset_; }
  // The segment and byte offset of the record the last next() returned
  // (valid until the following next()): what an error about that record's
  // content names.
  [[nodiscard]] const std::string& record_file() const noexcept { return segments_[segment_index_].path; }
  [[nodiscard]] std::int64_t record_offset() const noexcept { return record_offset_; }
  [[nodiscard]] std::uint64_t records_checked() const noexcept { return records_checked_; }
  [[nodiscard]] std::size_t segments_read() const noexcept { return segments_read_; }

 private:
  [[nodiscard]] Status open_segment(std::size_t index);
  [[nodiscard]] Status next_checked(RecordView& record, bool& has_record);
  // Does the current segment's path still name the file that was opened?
  [[nodiscard]] bool segment_replaced() const noexcept;
  [[nodiscard]] Status pruned_while_read() const;
  void close_segment() noexcept;
  [[nodiscard]] bool is_last_segment() const noexcept { return segment_index_ + 1 == segments_.size(); }
  // Classifies a record that failed a check a torn write can cause: the tail
  // (cut, returns OK with at_end_) or corruption (returns the error).
  // `stale`: the record is whole but older than its segment (recycled).
  [[nodiscard]] Status torn_or_corrupt(Status fault, bool stale = false);
  [[nodiscard]] bool valid_record_at_or_after(std::size_t offset) const noexcept;
  [[nodiscard]] Status end_of_segment();
  // The log ends at offset_ of the current segment (the last).
  [[nodiscard]] Status end_here();

  std::vector<SegmentFile> segments_;
  std::size_t segment_index_ = 0;
  std::uint64_t from_sequence_ = 1;
  std::uint64_t expected_sequence_ = 1;
  const std::byte* map_ = nullptr;
  std::size_t map_bytes_ = 0;
  std::size_t file_bytes_ = 0;
  std::size_t offset_ = 0;
  std::int64_t record_offset_ = -1;
  std::uint64_t segment_device_ = 0;  // st_dev and st_ino of the open segment
  std::uint64_t segment_inode_ = 0;
  bool at_end_ = true;
  std::optional<TailCut> tail_cut_;
  std::string end_file_;
  std::int64_t end_offset_ = 0;
  std::uint64_t records_checked_ = 0;
  std::size_t segments_read_ = 0;
};

}  // namespace authswitch::ledger
