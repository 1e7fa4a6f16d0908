// One test per reader branch: change one byte (and fix the CRC back up when
// the branch under test is not the CRC check), assert the exact outcome.
#include "ledger/log_reader.h"

#include <gtest/gtest.h>

#include "ledger/log_follower.h"

#include "tests/ledger/test_util.h"

namespace authswitch::ledger {
namespace {

using testing::Bytes;
using testing::event_payloads;
using testing::LogBuilder;
using testing::scan;
using testing::ScanOutcome;
using testing::TempDir;

constexpr std::size_t preallocated_tail = 4096;

// Two segments: [header, alpha, bravo, charlie] and [header, delta, echo, foxtrot].
LogBuilder two_segments() { return testing::alpha_to_foxtrot(); }

void expect_fault(const ScanOutcome& o, Fault fault, const std::string& file, std::size_t offset) {
  ASSERT_FALSE(o.status.ok()) << "expected " << fault_name(fault);
  EXPECT_EQ(o.status.fault(), fault) << o.status.to_string();
  EXPECT_EQ(o.status.file(), file);
  EXPECT_EQ(o.status.offset(), static_cast<std::int64_t>(offset));
  // The operator's line names the file and the offset.
  EXPECT_NE(o.status.to_string().find(file + " at offset " + std::to_string(offset)), std::string::npos)
      << o.status.to_string();
}

// Changes the record at `at` with `edit`, then recomputes its CRC so only
// the check under test can fire.
template <typename Edit>
void edit_and_reseal(Bytes& bytes, std::size_t at, Edit edit) {
  const std::uint32_t length = format::load<std::uint32_t>(bytes.data() + at + format::length_offset);
  edit(bytes.data() + at);
  reseal_record(bytes.data() + at, length);
}

TEST(LogReader, MissingFolderIsAnEmptyLog) {
  TempDir dir;
  const ScanOutcome o = scan(dir.file("never-created"));
  ASSERT_TRUE(o.status) << o.status.to_string();
  EXPECT_TRUE(o.sequences.empty());
  EXPECT_EQ(o.last_sequence, 0u);
}

TEST(LogReader, ReadsEveryRecordOfEverySegment) {
  TempDir dir;
  two_segments().write(dir.path(), preallocated_tail);
  const ScanOutcome o = scan(dir.path());
  ASSERT_TRUE(o.status) << o.status.to_string();
  EXPECT_EQ(o.sequences, (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(event_payloads(o), (std::vector<std::string>{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"}));
  EXPECT_FALSE(o.cut.has_value());
  EXPECT_EQ(o.last_sequence, 8u);
}

// An error about a record's content (recovery refusing what it decodes)
// names its segment and offset, found by its sequence.
TEST(LogReader, FindRecordNamesTheSegmentAndOffsetOfEverySequence) {
  TempDir dir;
  testing::LogBuilder b = testing::alpha_to_foxtrot();
  const std::vector<std::string> paths = b.write(dir.path(), preallocated_tail);
  std::uint64_t sequence = 1;
  for (std::size_t s = 0; s < b.segments().size(); ++s) {
    for (const std::size_t at : b.segments()[s].offsets) {
      SCOPED_TRACE(sequence);
      std::string file;
      std::int64_t offset = -1;
      ASSERT_TRUE(find_record(dir.path(), sequence, file, offset).ok());
      EXPECT_EQ(file, paths[s]);
      EXPECT_EQ(offset, static_cast<std::int64_t>(at));
      ++sequence;
    }
  }
  std::string file;
  std::int64_t offset = -1;
  EXPECT_EQ(find_record(dir.path(), sequence, file, offset).fault(), Fault::missing_records);
}

TEST(LogReader, StartsFromTheSegmentHoldingFromSequence) {
  TempDir dir;
  two_segments().write(dir.path());
  const ScanOutcome o = scan(dir.path(), 7);
  ASSERT_TRUE(o.status) << o.status.to_string();
  EXPECT_EQ(o.sequences, (std::vector<std::uint64_t>{7, 8}));
}

TEST(LogReader, FromSequenceJustPastTheEndIsAnEmptyTail) {
  TempDir dir;
  two_segments().write(dir.path());
  const ScanOutcome o = scan(dir.path(), 9);
  ASSERT_TRUE(o.status) << o.status.to_string();
  EXPECT_TRUE(o.sequences.empty());
}

TEST(LogReader, FromSequenceBeyondTheEndIsMissingRecords) {
  TempDir dir;
  const auto paths = two_segments().write(dir.path());
  const ScanOutcome o = scan(dir.path(), 11);
  EXPECT_EQ(o.status.fault(), Fault::missing_records) << o.status.to_string();
}

TEST(LogReader, FromSequenceBeforeTheOldestSegmentIsMissingRecords) {
  TempDir dir;
  LogBuilder b;
  b.segment(100);
  b.record("late");
  const auto paths = b.write(dir.path());
  expect_fault(scan(dir.path(), 5), Fault::missing_records, paths[0], 0);
}

TEST(LogReader, TornTailFollowedByZerosIsCut) {
  TempDir dir;
  LogBuilder b = two_segments();
  const std::size_t last = b.last().offsets.back();
  b.last().bytes.resize(last + 10);  // foxtrot's write stopped after 10 bytes
  const auto paths = b.write(dir.path(), preallocated_tail);
  const ScanOutcome o = scan(dir.path());
  ASSERT_TRUE(o.status) << o.status.to_string();
  EXPECT_EQ(o.last_sequence, 7u);
  ASSERT_TRUE(o.cut.has_value());
  EXPECT_EQ(o.cut->file, paths[1]);
  EXPECT_EQ(o.cut->offset, static_cast<std::int64_t>(last));
  EXPECT_GT(o.cut->bytes, 0u);
  EXPECT_LE(o.cut->bytes, 10u) << "up to the last non-zero byte written";
  EXPECT_FALSE(o.cut->earlier_use);
  EXPECT_EQ(describe(*o.cut), paths[1] + " at offset " + std::to_string(last) + ": " + std::to_string(o.cut->bytes) +
                                  " bytes of an unfinished write");
}

TEST(LogReader, TornTailAtEndOfFileIsCut) {
  TempDir dir;
  LogBuilder b = two_segments();
  const std::size_t last = b.last().offsets.back();
  b.last().bytes.resize(last + format::header_bytes + 2);
  b.write(dir.path());
  const ScanOutcome o = scan(dir.path());
  ASSERT_TRUE(o.status) << o.status.to_string();
  EXPECT_EQ(o.last_sequence, 7u);
  ASSERT_TRUE(o.cut.has_value());
}

TEST(LogReader, LastSegmentWithATornHeaderIsEmpty) {
  TempDir dir;
  LogBuilder b = two_segments();
  b.last().bytes.resize(7);
  b.write(dir.path(), preallocated_tail);
  const ScanOutcome o = scan(dir.path());
  ASSERT_TRUE(o.status) << o.status.to_string();
  EXPECT_EQ(o.last_sequence, 4u);
  ASSERT_TRUE(o.cut.has_value());
  EXPECT_EQ(o.cut->offset, 0);
}

// The required sweep: cut the last segment at every byte offset of its last
// three records, both as a short file and as zeros over the rest (what a
// preallocated segment shows): exactly the records before the cut survive.
TEST(LogReader, TruncationAtEveryOffsetOfTheLastRecordsKeepsExactlyTheRecordsBefore) {
  LogBuilder b = two_segments();
  const LogBuilder::Segment& last = b.last();
  const std::size_t first_cut = last.offsets[last.offsets.size() - 3];
  for (std::size_t cut = first_cut; cut <= last.bytes.size(); ++cut) {
    for (const bool zero_fill : {false, true}) {
      TempDir dir;
      LogBuilder copy = b;
      Bytes& bytes = copy.last().bytes;
      if (zero_fill) {
        std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(cut), bytes.end(), std::byte{0});
      } else {
        bytes.resize(cut);
      }
      copy.write(dir.path(), zero_fill ? preallocated_tail : 0);
      const ScanOutcome o = scan(dir.path());
      ASSERT_TRUE(o.status) << "cut at " << cut << ": " << o.status.to_string();
      std::size_t whole = 0;  // records of the last segment ending at or before the cut
      for (std::size_t i = 0; i < last.offsets.size(); ++i) {
        const std::size_t end = i + 1 < last.offsets.size() ? last.offsets[i + 1] : last.bytes.size();
        if (end <= cut) whole = i + 1;
      }
      EXPECT_EQ(o.last_sequence, 4 + whole) << "cut at " << cut << (zero_fill ? " (zeros)" : " (eof)");
      const bool on_boundary = cut == last.bytes.size() || (whole < last.offsets.size() && last.offsets[whole] == cut);
      EXPECT_EQ(o.cut.has_value(), !on_boundary) << "cut at " << cut;
    }
  }
}

TEST(LogReader, FlippedByteInAMiddleRecordOfTheLastSegmentFailsWithFileAndOffset) {
  LogBuilder b = two_segments();
  const std::size_t echo = b.last().offsets[2];
  for (std::size_t i = 0; i < format::header_bytes + 4; ++i) {
    TempDir dir;
    LogBuilder copy = b;
    copy.last().bytes[echo + i] ^= std::byte{0x40};
    const auto paths = copy.write(dir.path(), preallocated_tail);
    const ScanOutcome o = scan(dir.path());
    ASSERT_FALSE(o.status.ok()) << "byte " << i;
    EXPECT_EQ(o.status.file(), paths[1]) << "byte " << i;
    EXPECT_EQ(o.status.offset(), static_cast<std::int64_t>(echo)) << "byte " << i << ": " << o.status.to_string();
  }
}

TEST(LogReader, BadCrcInTheMiddleIsCorruption) {
  TempDir dir;
  LogBuilder b = two_segments();
  const std::size_t echo = b.last().offsets[2];
  b.last().bytes[echo + format::header_bytes] ^= std::byte{1};
  const auto paths = b.write(dir.path(), preallocated_tail);
  expect_fault(scan(dir.path()), Fault::bad_crc, paths[1], echo);
}

TEST(LogReader, BadCrcInAnEarlierSegmentIsCorruptionEvenAtItsEnd) {
  TempDir dir;
  LogBuilder b = two_segments();
  const std::size_t charlie = b.segments()[0].offsets.back();
  b.segments()[0].bytes[charlie + format::header_bytes] ^= std::byte{1};
  const auto paths = b.write(dir.path());
  expect_fault(scan(dir.path()), Fault::bad_crc, paths[0], charlie);
}

TEST(LogReader, BadLength) {
  TempDir dir;
  LogBuilder b = two_segments();
  const std::size_t bravo = b.segments()[0].offsets[2];
  // A length above the maximum; the CRC cannot be checked without reading
  // past the record, so this branch fires before it.
  format::store<std::uint32_t>(b.segments()[0].bytes.data() + bravo + format::length_offset,
                               static_cast<std::uint32_t>(format::payload_bytes_max + 1));
  const auto paths = b.write(dir.path());
  expect_fault(scan(dir.path()), Fault::bad_length, paths[0], bravo);
}

TEST(LogReader, BadType) {
  TempDir dir;
  LogBuilder b = two_segments();
  const std::size_t bravo = b.segments()[0].offsets[2];
  edit_and_reseal(b.segments()[0].bytes, bravo,
                  [](std::byte* r) { format::store<std::uint16_t>(r + format::type_offset, 0x9999); });
  const auto paths = b.write(dir.path());
  expect_fault(scan(dir.path()), Fault::bad_type, paths[0], bravo);
}

TEST(LogReader, TypeZeroIsBad) {
  TempDir dir;
  LogBuilder b = two_segments();
  const std::size_t echo = b.last().offsets[2];
  edit_and_reseal(b.last().bytes, echo, [](std::byte* r) { format::store<std::uint16_t>(r + format::type_offset, 0); });
  const auto paths = b.write(dir.path(), preallocated_tail);
  expect_fault(scan(dir.path()), Fault::bad_type, paths[1], echo);
}

TEST(LogReader, BadReserved) {
  TempDir dir;
  LogBuilder b = two_segments();
  const std::size_t echo = b.last().offsets[2];
  edit_and_reseal(b.last().bytes, echo,
                  [](std::byte* r) { format::store<std::uint16_t>(r + format::reserved_offset, 1); });
  const auto paths = b.write(dir.path(), preallocated_tail);
  expect_fault(scan(dir.path()), Fault::bad_reserved, paths[1], echo);
}

TEST(LogReader, SequenceGapInsideASegment) {
  TempDir dir;
  LogBuilder b = two_segments();
  const std::size_t echo = b.last().offsets[2];
  edit_and_reseal(b.last().bytes, echo,
                  [](std::byte* r) { format::store<std::uint64_t>(r + format::sequence_offset, 42); });
  const auto paths = b.write(dir.path(), preallocated_tail);
  expect_fault(scan(dir.path()), Fault::sequence_gap, paths[1], echo);
}

TEST(LogReader, SequenceGapInTheLastRecordIsNotATornTail) {
  TempDir dir;
  LogBuilder b = two_segments();
  const std::size_t foxtrot = b.last().offsets.back();
  edit_and_reseal(b.last().bytes, foxtrot,
                  [](std::byte* r) { format::store<std::uint64_t>(r + format::sequence_offset, 9); });
  const auto paths = b.write(dir.path(), preallocated_tail);
  expect_fault(scan(dir.path()), Fault::sequence_gap, paths[1], foxtrot);
}

TEST(LogReader, SequenceGapBetweenSegments) {
  TempDir dir;
  LogBuilder b;
  b.segment();
  b.record("alpha");
  b.segment(10);
  b.record("later");
  const auto paths = b.write(dir.path());
  expect_fault(scan(dir.path()), Fault::sequence_gap, paths[1], 0);
}

TEST(LogReader, TruncatedHeaderInAnEarlierSegment) {
  TempDir dir;
  LogBuilder b = two_segments();
  const std::size_t charlie = b.segments()[0].offsets.back();
  b.segments()[0].bytes.resize(charlie + format::header_bytes - 1);
  const auto paths = b.write(dir.path());
  expect_fault(scan(dir.path()), Fault::truncated_header, paths[0], charlie);
}

TEST(LogReader, TruncatedPayloadInAnEarlierSegment) {
  TempDir dir;
  LogBuilder b = two_segments();
  const std::size_t charlie = b.segments()[0].offsets.back();
  b.segments()[0].bytes.resize(charlie + format::header_bytes + 3);
  const auto paths = b.write(dir.path());
  expect_fault(scan(dir.path()), Fault::truncated_payload, paths[0], charlie);
}

TEST(LogReader, SegmentHeaderWithBadMagic) {
  TempDir dir;
  LogBuilder b = two_segments();
  edit_and_reseal(b.last().bytes, 0, [](std::byte* r) { r[format::header_bytes] ^= std::byte{1}; });
  const auto paths = b.write(dir.path(), preallocated_tail);
  expect_fault(scan(dir.path()), Fault::bad_segment_header, paths[1], 0);
}

TEST(LogReader, SegmentHeaderWithBadVersion) {
  TempDir dir;
  LogBuilder b = two_segments();
  edit_and_reseal(b.last().bytes, 0,
                  [](std::byte* r) { format::store<std::uint32_t>(r + format::header_bytes + 8, 2); });
  const auto paths = b.write(dir.path(), preallocated_tail);
  expect_fault(scan(dir.path()), Fault::bad_segment_header, paths[1], 0);
}

TEST(LogReader, SegmentHeaderSequenceDisagreesWithTheFileName) {
  TempDir dir;
  LogBuilder b = two_segments();
  const auto paths = b.write(dir.path());
  const std::string renamed = dir.file(segment_file_name(3));  // says 3, holds 5..8
  std::filesystem::rename(paths[1], renamed);
  // Segment "3" now starts inside segment 1's range; the overlap shows as
  // the first segment's record 3 being followed by a segment named 3.
  const ScanOutcome o = scan(dir.path(), 3);
  expect_fault(o, Fault::bad_segment_header, renamed, 0);
}

TEST(LogReader, FirstRecordIsNotASegmentHeader) {
  TempDir dir;
  LogBuilder b = two_segments();
  edit_and_reseal(b.last().bytes, 0, [](std::byte* r) { format::store<std::uint16_t>(r + format::type_offset, 7); });
  const auto paths = b.write(dir.path(), preallocated_tail);
  expect_fault(scan(dir.path()), Fault::bad_segment_header, paths[1], 0);
}

TEST(LogReader, SegmentHeaderInsideASegment) {
  TempDir dir;
  LogBuilder b = two_segments();
  const std::size_t echo = b.last().offsets[2];
  edit_and_reseal(b.last().bytes, echo, [](std::byte* r) {
    format::store<std::uint16_t>(r + format::type_offset, format::type_segment_header);
  });
  const auto paths = b.write(dir.path(), preallocated_tail);
  expect_fault(scan(dir.path()), Fault::bad_segment_header, paths[1], echo);
}

TEST(LogReader, ZeroedRecordFollowedByValidRecordsIsCorruption) {
  TempDir dir;
  LogBuilder b = two_segments();
  const std::size_t delta = b.last().offsets[1];
  const std::size_t echo = b.last().offsets[2];
  std::fill(b.last().bytes.begin() + static_cast<std::ptrdiff_t>(delta),
            b.last().bytes.begin() + static_cast<std::ptrdiff_t>(echo), std::byte{0});
  const auto paths = b.write(dir.path(), preallocated_tail);
  expect_fault(scan(dir.path()), Fault::bad_type, paths[1], delta);
}

TEST(LogReader, FilesThatAreNotSegmentsAreIgnored) {
  TempDir dir;
  two_segments().write(dir.path());
  testing::write_bytes(dir.file("notes.txt"), testing::payload_of("hello"));
  testing::write_bytes(dir.file("seg-prepared.tmp"), testing::payload_of("garbage"));
  const ScanOutcome o = scan(dir.path());
  ASSERT_TRUE(o.status) << o.status.to_string();
  EXPECT_EQ(o.last_sequence, 8u);
}

// The follower (checkpointer) checks a record with the reader's own
// check_record: a record the reader calls corrupt, the follower refuses with
// the same fault at the same place.
Status follow_all(const std::string& dir, std::uint64_t last) {
  LogFollower follower;
  if (Status s = follower.open(dir, 1); !s) return s;
  RecordView r;
  bool has = true;
  while (has) {
    if (Status s = follower.next(last, r, has); !s) return s;
  }
  return Status{};
}

TEST(LogReader, TheFollowerRefusesWhatTheReaderRefuses) {
  struct Case {
    const char* name;
    Fault fault;
    void (*edit)(std::byte*);
  };
  const Case cases[] = {
      {"reserved", Fault::bad_reserved,
       [](std::byte* r) { format::store<std::uint16_t>(r + format::reserved_offset, 1); }},
      {"type", Fault::bad_type, [](std::byte* r) { format::store<std::uint16_t>(r + format::type_offset, 0x9999); }},
      {"sequence", Fault::sequence_gap,
       [](std::byte* r) { format::store<std::uint64_t>(r + format::sequence_offset, 42); }},
      {"header inside", Fault::bad_segment_header,
       [](std::byte* r) { format::store<std::uint16_t>(r + format::type_offset, format::type_segment_header); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    LogBuilder b = two_segments();
    const std::size_t bravo = b.segments()[0].offsets[2];
    edit_and_reseal(b.segments()[0].bytes, bravo, c.edit);
    const auto paths = b.write(dir.path(), preallocated_tail);
    expect_fault(scan(dir.path()), c.fault, paths[0], bravo);
    expect_fault(ScanOutcome{follow_all(dir.path(), 8), {}, {}, {}, {}, 0}, c.fault, paths[0], bravo);
  }
  // A bad CRC: the follower reads only published records, so it is never a
  // torn tail there.
  TempDir dir;
  LogBuilder b = two_segments();
  const std::size_t charlie = b.segments()[0].offsets.back();
  b.segments()[0].bytes[charlie + format::header_bytes] ^= std::byte{1};
  const auto paths = b.write(dir.path());
  expect_fault(ScanOutcome{follow_all(dir.path(), 8), {}, {}, {}, {}, 0}, Fault::bad_crc, paths[0], charlie);
}

}  // namespace
}  // namespace authswitch::ledger
