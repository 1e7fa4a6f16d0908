// Recycled segments (wal_writer.h): a pruned segment is written over as a
// later one, so what lies past its written records is its earlier use's
// bytes, not zeros. The reader must find the end there exactly as it does in
// a zero-filled segment, and still call corruption what is corruption.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <vector>

#include "ledger/log_follower.h"
#include "ledger/log_reader.h"
#include "ledger/snapshot.h"
#include "ledger/wal_writer.h"
#include "tests/ledger/test_util.h"
#include "tests/ledger/wait_until.h"

namespace authswitch::ledger {
namespace {

using testing::Bytes;
using testing::earlier_use;
using testing::event_payloads;
using testing::LogBuilder;
using testing::payload_of;
using testing::recycled_image;
using testing::scan;
using testing::ScanOutcome;
using testing::TempDir;

constexpr std::size_t image_bytes = 4096;

// Two segments [header, alpha, bravo, charlie] and [header, delta, echo,
// foxtrot] at sequences 1000..1007, after earlier segments were pruned.
LogBuilder late_segments() { return testing::alpha_to_foxtrot(1000); }

// Writes b's segments, each laid over an earlier use (sequence 7, older
// than any of b's), with or without the end marker after the last one.
std::vector<std::string> write_recycled(const LogBuilder& b, const std::string& dir, bool last_marker) {
  LogBuilder copy = b;
  const Bytes earlier = earlier_use(image_bytes, 7);
  for (std::size_t i = 0; i < copy.segments().size(); ++i) {
    Bytes& bytes = copy.segments()[i].bytes;
    bytes = recycled_image(bytes, earlier, i + 1 < copy.segments().size() || last_marker);
  }
  return copy.write(dir);
}

const std::vector<std::string> all_six = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"};

TEST(RecycledSegment, EndMarkersEndEachSegmentAndNothingIsCut) {
  TempDir dir;
  write_recycled(late_segments(), dir.path(), true);
  const ScanOutcome o = scan(dir.path(), 1000);
  ASSERT_TRUE(o.status) << o.status.to_string();
  EXPECT_EQ(event_payloads(o), all_six);
  EXPECT_EQ(o.last_sequence, 1007u);
  EXPECT_FALSE(o.cut.has_value());
}

TEST(RecycledSegment, WithoutItsEndMarkerTheLastEndsAtTheFirstOlderRecord) {
  TempDir dir;
  // The new records end exactly where an older whole record begins.
  LogBuilder b = late_segments();
  const std::size_t end = b.last().bytes.size();
  LogBuilder older;
  older.segment(1);
  for (int i = 0; i < 20; ++i) older.record("older " + std::to_string(i));
  b.last().bytes.insert(b.last().bytes.end(), older.last().bytes.begin(), older.last().bytes.end());
  const auto paths = b.write(dir.path());
  const ScanOutcome o = scan(dir.path(), 1000);
  ASSERT_TRUE(o.status) << o.status.to_string();
  EXPECT_EQ(event_payloads(o), all_six);
  ASSERT_TRUE(o.cut.has_value());
  EXPECT_EQ(o.cut->file, paths[1]);
  EXPECT_EQ(o.cut->offset, static_cast<std::int64_t>(end));
  EXPECT_EQ(o.cut->bytes, 0u) << "nothing of an unfinished write: an earlier use's record";
  EXPECT_TRUE(o.cut->earlier_use);
  // Not "0 bytes of an unfinished write": the operator is told what is there.
  EXPECT_EQ(describe(*o.cut), paths[1] + " at offset " + std::to_string(end) +
                                  ": the rest of this recycled segment is its earlier use's records, none of this log's");
}

TEST(RecycledSegment, LastSegmentHoldingOnlyItsEarlierUseIsEmpty) {
  // Renamed into place, then a crash before its header was written.
  TempDir dir;
  LogBuilder copy = late_segments();
  const std::uint64_t first = copy.last().first_sequence;
  copy.last().bytes = earlier_use(image_bytes, 7);
  const auto paths = copy.write(dir.path());
  const ScanOutcome o = scan(dir.path(), 1000);
  ASSERT_TRUE(o.status) << o.status.to_string();
  EXPECT_EQ(o.last_sequence, first - 1);
  ASSERT_TRUE(o.cut.has_value());
  EXPECT_EQ(o.cut->offset, 0);
  EXPECT_EQ(o.cut->bytes, 0u);
}

// The sweep of log_reader_test, over a recycled segment: cut the written
// bytes at every offset of the last three records, the rest being the
// earlier use's (what a power cut leaves): exactly the records before the
// cut survive, and the tail cut never counts more than one write.
TEST(RecycledSegment, TruncationAtEveryOffsetKeepsExactlyTheRecordsBefore) {
  LogBuilder b = late_segments();
  const LogBuilder::Segment last = b.last();
  const Bytes earlier = earlier_use(image_bytes, 7);
  for (std::size_t cut = last.offsets[last.offsets.size() - 3]; cut <= last.bytes.size(); ++cut) {
    TempDir dir;
    LogBuilder copy = b;
    Bytes written(last.bytes.begin(), last.bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    copy.last().bytes = recycled_image(written, earlier, false);
    copy.write(dir.path());
    const ScanOutcome o = scan(dir.path(), 1000);
    ASSERT_TRUE(o.status) << "cut at " << cut << ": " << o.status.to_string();
    std::size_t whole = 0;
    for (std::size_t i = 0; i < last.offsets.size(); ++i) {
      const std::size_t end = i + 1 < last.offsets.size() ? last.offsets[i + 1] : last.bytes.size();
      if (end <= cut) whole = i + 1;
    }
    EXPECT_EQ(o.last_sequence, 1003 + whole) << "cut at " << cut;
    if (o.cut.has_value()) {
      EXPECT_LE(o.cut->bytes, constants::wal_batch_bytes_max + format::header_bytes) << "cut at " << cut;
    }
  }
}

TEST(RecycledSegment, ANewerRecordAfterABadOneIsStillCorruption) {
  TempDir dir;
  LogBuilder b = late_segments();
  const std::size_t echo = b.last().offsets[2];
  b.last().bytes[echo + format::header_bytes] ^= std::byte{1};
  const auto paths = write_recycled(b, dir.path(), true);
  const ScanOutcome o = scan(dir.path(), 1000);
  ASSERT_FALSE(o.status.ok());
  EXPECT_EQ(o.status.fault(), Fault::bad_crc) << o.status.to_string();
  EXPECT_EQ(o.status.file(), paths[1]);
  EXPECT_EQ(o.status.offset(), static_cast<std::int64_t>(echo));
}

TEST(RecycledSegment, AnOlderRecordInsideASegmentThatIsNotTheLastIsCorruption) {
  // A segment the writer left for the next one always ends with its marker
  // (the rotation synced it): an older record there means bytes were lost.
  TempDir dir;
  LogBuilder b = late_segments();
  const std::size_t end = b.segments()[0].bytes.size();
  LogBuilder older;
  older.segment(1);
  older.record("older");
  b.segments()[0].bytes.insert(b.segments()[0].bytes.end(), older.last().bytes.begin(), older.last().bytes.end());
  const auto paths = b.write(dir.path());
  const ScanOutcome o = scan(dir.path(), 1000);
  ASSERT_FALSE(o.status.ok());
  EXPECT_EQ(o.status.file(), paths[0]);
  EXPECT_EQ(o.status.offset(), static_cast<std::int64_t>(end)) << o.status.to_string();
}

// ---- the writer and the pruning that feeds it --------------------------------

WalOptions small_segments(const TempDir& dir) {
  WalOptions o;
  o.dir = dir.path();
  o.producers = 1;
  o.segment_bytes = constants::wal_segment_bytes_min;
  return o;
}

std::string text(int i) { return "record-" + std::to_string(i) + std::string(static_cast<std::size_t>(i % 50), 'r'); }

// Appends records from..to-1 and waits until they are durable.
void append_durably(WalWriter& w, ProducerId p, int from, int to) {
  std::uint64_t ticket = 0;
  for (int i = from; i < to; ++i) {
    const Bytes bytes = payload_of(text(i));
    AppendResult r;
    ASSERT_TRUE(testing::wait_until([&] { return (r = w.append(p, 1, bytes)).fault != Fault::queue_full; }));
    ASSERT_TRUE(r.ok()) << fault_name(r.fault);
    ticket = r.ticket;
  }
  ASSERT_TRUE(testing::wait_until([&] { return w.durable_count(p) >= ticket || w.failed(); }));
  ASSERT_FALSE(w.failed());
}

// A writer's whole run: open, records from..to-1 made durable, close.
void write_log(const TempDir& dir, int from, int to) {
  WalWriter w(small_segments(dir));
  ASSERT_TRUE(w.open());
  const ProducerId p = w.register_producer();
  append_durably(w, p, from, to);
  ASSERT_TRUE(w.close());
  EXPECT_EQ(w.stats().recycled, 0u);
}

std::vector<std::string> texts(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(text(i));
  return out;
}

std::function<Status(SnapshotSink&)> tiny_state() {
  return [](SnapshotSink& sink) {
    const Bytes b(16, std::byte{1});
    return sink.write(b);
  };
}

TEST(RecycledSegment, PruningRecyclesUpToTheLimitAndDeletesTheRest) {
  TempDir dir;
  write_log(dir, 0, 400);
  std::vector<SegmentFile> before;
  ASSERT_TRUE(list_segments(dir.path(), before));
  ASSERT_GT(before.size(), 6u);
  ASSERT_TRUE(write_snapshot(dir.path(), before[5].first_sequence, tiny_state()));
  PruneResult pruned;
  ASSERT_TRUE(prune_log(dir.path(), 1, &pruned, 3));
  EXPECT_EQ(pruned.segments_removed, 5u) << "segments 0 to 4 are wholly behind the snapshot";
  EXPECT_EQ(pruned.segments_recycled, 3u);
  std::vector<RecycledFile> recycled;
  ASSERT_TRUE(list_recycled(dir.path(), recycled));
  EXPECT_EQ(recycled.size(), 3u);
  std::vector<SegmentFile> after;
  ASSERT_TRUE(list_segments(dir.path(), after));
  EXPECT_EQ(after.front().first_sequence, before[5].first_sequence);
  // Recycled files are not segments: the log still reads from the snapshot on.
  const ScanOutcome o = scan(dir.path(), before[5].first_sequence);
  ASSERT_TRUE(o.status) << o.status.to_string();
}

// A log written, pruned into recycled files, then written on: the writer
// rotates into the recycled files, and the log reads back whole, both at
// rest (LogReader, and a reopen) and live (LogFollower).
TEST(RecycledSegment, TheWriterWritesOverRecycledSegmentsAndEveryReaderFindsEveryRecord) {
  TempDir dir;
  std::uint64_t covered = 0;
  {
    write_log(dir, 0, 400);
    std::vector<SegmentFile> segments;
    ASSERT_TRUE(list_segments(dir.path(), segments));
    ASSERT_GT(segments.size(), 5u);
    covered = segments[4].first_sequence;
    ASSERT_TRUE(write_snapshot(dir.path(), covered, tiny_state()));
    PruneResult pruned;
    ASSERT_TRUE(prune_log(dir.path(), 1, &pruned));
    ASSERT_EQ(pruned.segments_recycled, 4u);
  }
  WalWriter w(small_segments(dir));
  ASSERT_TRUE(w.open());
  const ProducerId p = w.register_producer();
  LogFollower follower;
  ASSERT_TRUE(follower.open(dir.path(), covered + 1));
  std::vector<std::string> followed;
  for (int step = 0; step < 6; ++step) {
    append_durably(w, p, 300 + step * 50, 350 + step * 50);
    RecordView r;
    bool has = true;
    while (has) {
      ASSERT_TRUE(follower.next(w.durable_sequence(), r, has));
      if (has && format::is_event_type(r.type)) followed.push_back(testing::text_of(r.payload));
    }
  }
  ASSERT_TRUE(w.close());
  EXPECT_EQ(w.stats().recycled, 4u) << "every recycled file was taken";
  std::vector<RecycledFile> left;
  ASSERT_TRUE(list_recycled(dir.path(), left));
  EXPECT_TRUE(left.empty());

  const ScanOutcome o = scan(dir.path(), covered + 1);
  ASSERT_TRUE(o.status) << o.status.to_string();
  EXPECT_FALSE(o.cut.has_value()) << "the end markers end every segment";
  const std::vector<std::string> events = event_payloads(o);
  ASSERT_GE(events.size(), 300u);
  const std::vector<std::string> tail(events.end() - 300, events.end());
  EXPECT_EQ(tail, texts(300, 600));
  EXPECT_EQ(std::vector<std::string>(followed.end() - 300, followed.end()), texts(300, 600));

  // A reopen finds the end where the writer left it and goes on.
  WalWriter again(small_segments(dir));
  ASSERT_TRUE(again.open());
  const ProducerId q = again.register_producer();
  append_durably(again, q, 600, 620);
  ASSERT_TRUE(again.close());
  const ScanOutcome reopened = scan(dir.path(), covered + 1);
  ASSERT_TRUE(reopened.status) << reopened.status.to_string();
  const std::vector<std::string> all = event_payloads(reopened);
  EXPECT_EQ(std::vector<std::string>(all.end() - 320, all.end()), texts(300, 620));
}

// What this process has made the kernel read from storage so far
// (/proc/self/io), or nothing where the kernel does not account it.
std::optional<std::uint64_t> storage_read_bytes() {
  std::ifstream in("/proc/self/io");
  std::string key;
  std::uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "read_bytes:") return value;
  }
  return std::nullopt;
}

// Drops the file's pages from the page cache, as a reboot would; false when
// a page stayed (a file system that keeps files in memory, like tmpfs).
bool evict_from_page_cache(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const off_t size = ::lseek(fd, 0, SEEK_END);
  bool evicted = ::fdatasync(fd) == 0 && ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
  void* map = evicted ? ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
  if (map != MAP_FAILED) {
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    std::vector<unsigned char> resident((static_cast<std::size_t>(size) + page - 1) / page);
    evicted = ::mincore(map, static_cast<std::size_t>(size), resident.data()) == 0;
    for (const unsigned char r : resident) evicted = evicted && (r & 1) == 0;
    ::munmap(map, static_cast<std::size_t>(size));
  } else {
    evicted = false;
  }
  ::close(fd);
  return evicted;
}

// A recycled segment whose pages left the page cache: a write that covered
// only part of a page would make the kernel read that page from disk first,
// inside the write (on the answer's path). The writer's end markers fill
// every page it reaches for the first time, so nothing is read.
TEST(RecycledSegment, WritingIntoAnUncachedRecycledSegmentReadsNothingFromDisk) {
  TempDir dir;
  WalOptions o;
  o.dir = dir.path();
  o.producers = 1;
  o.segment_bytes = 256 * 1024;
  const std::string recycled = dir.file(recycled_file_name(1));
  testing::write_bytes(recycled, earlier_use(o.segment_bytes));
  if (!evict_from_page_cache(recycled)) GTEST_SKIP() << "this file system keeps the file's pages in memory";
  const std::optional<std::uint64_t> before = storage_read_bytes();
  if (!before) GTEST_SKIP() << "the kernel does not account storage reads (/proc/self/io)";

  WalWriter w(o);
  ASSERT_TRUE(w.open());  // its first segment is the recycled file
  const ProducerId p = w.register_producer();
  append_durably(w, p, 0, 1000);
  ASSERT_TRUE(w.close());
  const std::optional<std::uint64_t> after = storage_read_bytes();
  EXPECT_EQ(w.stats().recycled, 1u);
  EXPECT_EQ(w.stats().rotations, 1u) << "every record went into the recycled file";
  ASSERT_TRUE(after);
  EXPECT_EQ(*after - *before, 0u) << "bytes read from disk while the log was written";

  const ScanOutcome read = scan(dir.path());
  ASSERT_TRUE(read.status) << read.status.to_string();
  EXPECT_EQ(event_payloads(read), texts(0, 1000));
}

TEST(RecycledSegment, ARecycledFilePreparedButNotYetUsedGoesBackAtClose) {
  TempDir dir;
  const WalOptions o = small_segments(dir);
  for (std::uint64_t i = 1; i <= 2; ++i) {
    testing::write_bytes(dir.file(recycled_file_name(i)), earlier_use(o.segment_bytes));
  }
  WalWriter w(o);
  ASSERT_TRUE(w.open());  // its first segment is one of them
  const ProducerId p = w.register_producer();
  // Past half the segment, so the other is prepared, but short of the end.
  int n = 0;
  for (; !std::filesystem::exists(dir.file(prepared_segment_name)) && n < 60; ++n) append_durably(w, p, n, n + 1);
  ASSERT_TRUE(std::filesystem::exists(dir.file(prepared_segment_name)));
  ASSERT_TRUE(w.close());
  EXPECT_EQ(w.stats().rotations, 1u);
  EXPECT_EQ(w.stats().recycled, 1u);
  std::vector<RecycledFile> left;
  ASSERT_TRUE(list_recycled(dir.path(), left));
  EXPECT_EQ(left.size(), 1u) << "kept for the next run";
  EXPECT_FALSE(std::filesystem::exists(dir.file(prepared_segment_name)));
  const ScanOutcome read = scan(dir.path());
  ASSERT_TRUE(read.status) << read.status.to_string();
  EXPECT_EQ(event_payloads(read), texts(0, n));
}

TEST(RecycledSegment, ARecycledFileOfAnotherSizeIsDeletedAndANewSegmentPreallocated) {
  TempDir dir;
  const std::string odd = dir.file(recycled_file_name(1));
  testing::write_bytes(odd, earlier_use(1000));
  write_log(dir, 0, 300);  // recycles nothing
  EXPECT_FALSE(std::filesystem::exists(odd));
  const ScanOutcome o = scan(dir.path());
  ASSERT_TRUE(o.status) << o.status.to_string();
  EXPECT_EQ(event_payloads(o), texts(0, 300));
}

// Reads records until the end or a fault; what was read and the status.
ScanOutcome read_on(LogReader& reader, ScanOutcome so_far = {}) {
  RecordView r;
  for (bool has = true; has;) {
    so_far.status = reader.next(r, has);
    if (!so_far.status) break;
    if (has) {
      so_far.types.push_back(r.type);
      so_far.payloads.emplace_back(reinterpret_cast<const char*>(r.payload.data()), r.payload.size());
    }
  }
  return so_far;
}

// Overwrites `path` in place from its start, as the writer reuses a
// recycled file: same inode, same size, new bytes.
void write_over(const std::string& path, const Bytes& bytes) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(f.good());
}

// The reader's word for a segment pruned under it: the file it was in, and
// the sequence the log still holds from.
void expect_pruned(const Status& status, const std::string& file, std::uint64_t still_from) {
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.fault(), Fault::missing_records) << status.to_string();
  EXPECT_EQ(status.file(), file);
  const std::string text = status.to_string();
  EXPECT_NE(text.find("pruned while being read"), std::string::npos) << text;
  EXPECT_NE(text.find("records from sequence " + std::to_string(still_from)), std::string::npos) << text;
}

// A log written to disk and a reader opened on it, before a test changes
// the files under the reader.
struct LogBeingRead {
  explicit LogBeingRead(LogBuilder builder) : b(std::move(builder)), paths(b.write(dir.path())) {
    const Status opened = reader.open(dir.path(), 1000);
    AS_ASSERT(opened.ok());
  }
  TempDir dir;
  LogBuilder b;
  std::vector<std::string> paths;
  LogReader reader;
};

// `wal dump` on a running switch: its checkpointer may recycle the oldest
// segment while the dump reads it, and the writer may then write a new
// segment's records over the very bytes being read. That is not corruption.
TEST(RecycledSegment, ASegmentRecycledAndWrittenOverWhileReadIsMissingRecords) {
  LogBeingRead log(late_segments());
  RecordView r;
  bool has = false;
  ASSERT_TRUE(log.reader.next(r, has));
  ASSERT_TRUE(has);

  const std::string recycled = log.dir.file(recycled_file_name(1000));
  std::filesystem::rename(log.paths[0], recycled);
  LogBuilder later;
  later.segment(9000);
  for (int i = 0; i < 8; ++i) later.record("later " + std::to_string(i));
  write_over(recycled, later.last().bytes);

  const ScanOutcome o = read_on(log.reader);
  expect_pruned(o.status, log.paths[0], log.b.segments()[1].first_sequence);
  for (const std::string& p : o.payloads) EXPECT_EQ(p.rfind("later", 0), std::string::npos) << "read the new use";
}

TEST(RecycledSegment, SegmentsRemovedWhileReadAreMissingRecordsAfterTheOneMapped) {
  LogBuilder b = late_segments();
  b.segment();
  b.record("golf");
  LogBeingRead log(b);
  std::filesystem::remove(log.paths[0]);  // the open mapping keeps its bytes
  std::filesystem::remove(log.paths[1]);
  const ScanOutcome o = read_on(log.reader);
  expect_pruned(o.status, log.paths[1], b.segments()[2].first_sequence);
  EXPECT_EQ(event_payloads(o), (std::vector<std::string>{"alpha", "bravo", "charlie"}));
}

TEST(RecycledSegment, CorruptionInPlaceIsStillCorruption) {
  // The same file, bytes changed under the reader: not a pruning.
  LogBeingRead log(late_segments());
  Bytes bad = log.b.segments()[0].bytes;
  bad[log.b.segments()[0].offsets[2] + format::header_bytes] ^= std::byte{1};
  write_over(log.paths[0], bad);
  const ScanOutcome o = read_on(log.reader);
  ASSERT_FALSE(o.status.ok());
  EXPECT_EQ(o.status.fault(), Fault::bad_crc) << o.status.to_string();
}

}  // namespace
}  // namespace authswitch::ledger
