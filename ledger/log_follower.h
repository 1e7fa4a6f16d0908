// Following a log that a WalWriter in this process is still appending to
// (the checkpointer's input, checkpointer.h).
//
// LogReader (log_reader.h) is for a log at rest: it lists the segments once,
// and the end of the data in the last one is where it stops, after scanning
// the rest of that segment for stray records. A follower instead reads only
// records the caller knows are complete: every next() gets a `limit`, a
// sequence the writer has already published (WalWriter::durable_sequence()),
// so a record at or below it is whole on disk and a zero header below it
// (the end marker each write leaves, wal_writer.h: a recycled segment holds
// older records beyond) means the writer moved to the next segment, which is then named after the
// expected sequence (segment_file_name). Nothing is ever a torn tail here:
// any record at or below the limit that fails a check is corruption (or a
// bug) and next() returns the error naming the file and offset.
//
// Segments are mapped shared and read-only, so bytes the writer adds after
// the mapping are seen (one page cache); each is mapped whole (they are
// preallocated to their full size), and remapped if it turns out longer.
//
// Single-threaded. A RecordView stays valid until the following next().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "ledger/log_reader.h"
#include "ledger/status.h"

namespace authswitch::ledger {

class LogFollower {
 public:
  LogFollower() = default;
  LogFollower(const LogFollower&) = delete;
  LogFollower& operator=(const LogFollower&) = delete;
  ~LogFollower();

  // Positions the follower at `next_sequence` (>= 1), which must be at or
  // below the caller's first limit + 1. Reads (and checks) the records of
  // the segment holding it that come before it.
  [[nodiscard]] Status open(const std::string& dir, std::uint64_t next_sequence);

  // The next record if its sequence is at most `limit`: has_record true and
  // `record` filled; otherwise has_record false (nothing new yet). After an
  // error, stop.
  [[nodiscard]] Status next(std::uint64_t limit, RecordView& record, bool& has_record);

  // The sequence the next record will have.
  [[nodiscard]] std::uint64_t next_sequence() const noexcept { return expected_sequence_; }
  [[nodiscard]] std::uint64_t segments_opened() const noexcept { return segments_opened_; }

 private:
  [[nodiscard]] Status map_segment(const std::string& path, std::uint64_t first_sequence);
  [[nodiscard]] Status remap_if_grown(bool& grown);
  void unmap() noexcept;

  std::string dir_;
  std::string path_;
  std::uint64_t segment_first_ = 0;
  std::uint64_t expected_sequence_ = 1;
  int fd_ = -1;
  const std::byte* map_ = nullptr;
  std::size_t map_bytes_ = 0;
  std::size_t offset_ = 0;
  std::uint64_t segments_opened_ = 0;
};

}  // namespace authswitch::ledger
