#include "ledger/snapshot.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <vector>

#include "ledger/wal_writer.h"
#include "tests/ledger/test_util.h"
#include "tests/ledger/wait_until.h"

namespace authswitch::ledger {
namespace {

using testing::Bytes;
using testing::TempDir;

// A state of `bytes` bytes, derived from `tag`, streamed in uneven pieces.
std::function<Status(SnapshotSink&)> state(std::size_t bytes, std::uint8_t tag) {
  return [bytes, tag](SnapshotSink& sink) {
    Bytes piece(777);
    for (std::size_t done = 0; done < bytes;) {
      const std::size_t n = std::min(piece.size(), bytes - done);
      for (std::size_t i = 0; i < n; ++i) piece[i] = static_cast<std::byte>((done + i) * 7 + tag);
      if (Status s = sink.write(std::span(piece.data(), n)); !s) return s;
      done += n;
    }
    return Status{};
  };
}

Bytes read_payload(const SnapshotInfo& info, Status& status) {
  Bytes out;
  status = read_snapshot(info, [&](std::span<const std::byte> chunk) {
    out.insert(out.end(), chunk.begin(), chunk.end());
    return Status{};
  });
  return out;
}

TEST(Snapshot, WriteFindAndReadBack) {
  TempDir dir;
  SnapshotInfo written;
  ASSERT_TRUE(write_snapshot(dir.path(), 42, state(3'000'000, 1), &written));
  EXPECT_EQ(written.covered_sequence, 42u);
  EXPECT_EQ(written.payload_bytes, 3'000'000u);
  std::optional<SnapshotInfo> latest;
  ASSERT_TRUE(find_latest_snapshot(dir.path(), latest));
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->covered_sequence, 42u);
  EXPECT_EQ(latest->path, dir.file(snapshot_file_name(42)));
  Status s;
  const Bytes payload = read_payload(*latest, s);
  ASSERT_TRUE(s) << s.to_string();
  ASSERT_EQ(payload.size(), 3'000'000u);
  for (std::size_t i = 0; i < payload.size(); i += 4099) EXPECT_EQ(payload[i], static_cast<std::byte>(i * 7 + 1));
}

TEST(Snapshot, EmptyPayloadIsValid) {
  TempDir dir;
  ASSERT_TRUE(write_snapshot(dir.path(), 1, state(0, 0)));
  std::optional<SnapshotInfo> latest;
  ASSERT_TRUE(find_latest_snapshot(dir.path(), latest));
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->payload_bytes, 0u);
}

TEST(Snapshot, NoSnapshotIsNotAnError) {
  TempDir dir;
  std::optional<SnapshotInfo> latest;
  ASSERT_TRUE(find_latest_snapshot(dir.path(), latest));
  EXPECT_FALSE(latest.has_value());
}

TEST(Snapshot, FailingFillLeavesNoFile) {
  TempDir dir;
  const Status s = write_snapshot(dir.path(), 9, [](SnapshotSink&) {
    return Status::error(Fault::io, "state", -1, "the core gave up");
  });
  EXPECT_EQ(s.fault(), Fault::io);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

class CorruptLatest : public ::testing::TestWithParam<std::size_t> {};

// Corrupting the newest snapshot (a payload byte, a header byte, or cutting
// it short) makes the search fall back to the previous one and report why.
TEST_P(CorruptLatest, FallsBackToThePreviousValidSnapshot) {
  TempDir dir;
  ASSERT_TRUE(write_snapshot(dir.path(), 10, state(5000, 1)));
  ASSERT_TRUE(write_snapshot(dir.path(), 20, state(5000, 2)));
  const std::string newest = dir.file(snapshot_file_name(20));
  Bytes bytes = testing::read_bytes(newest);
  const std::size_t at = GetParam();
  if (at == 0) {
    bytes.resize(bytes.size() - 1);
  } else {
    bytes[at] ^= std::byte{0x10};
  }
  testing::write_bytes(newest, bytes);
  std::optional<SnapshotInfo> latest;
  std::vector<Status> rejected;
  ASSERT_TRUE(find_latest_snapshot(dir.path(), latest, &rejected));
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->covered_sequence, 10u);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].fault(), Fault::bad_snapshot);
  EXPECT_EQ(rejected[0].file(), newest);
}

// 0: one byte short; 3: magic; 17: covered sequence (header CRC); 100: payload.
INSTANTIATE_TEST_SUITE_P(Bytes, CorruptLatest, ::testing::Values(0u, 3u, 17u, 100u));

TEST(Snapshot, NameAndContentMustAgree) {
  TempDir dir;
  ASSERT_TRUE(write_snapshot(dir.path(), 10, state(100, 1)));
  std::filesystem::rename(dir.file(snapshot_file_name(10)), dir.file(snapshot_file_name(11)));
  std::optional<SnapshotInfo> latest;
  std::vector<Status> rejected;
  ASSERT_TRUE(find_latest_snapshot(dir.path(), latest, &rejected));
  EXPECT_FALSE(latest.has_value());
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].fault(), Fault::bad_snapshot);
}

TEST(Snapshot, PruneRemovesOldSnapshotsAndSegmentsBehindTheOldestKept) {
  TempDir dir;
  // A log of several small segments.
  WalOptions o;
  o.dir = dir.path();
  o.producers = 1;
  o.segment_bytes = constants::wal_segment_bytes_min;
  WalWriter w(o);
  ASSERT_TRUE(w.open());
  const ProducerId p = w.register_producer();
  const Bytes payload(100);
  std::uint64_t ticket = 0;
  for (int i = 0; i < 400; ++i) {
    AppendResult r;
    ASSERT_TRUE(testing::wait_until([&] { return (r = w.append(p, 1, payload)).fault != Fault::queue_full; }));
    ASSERT_TRUE(r.ok());
    ticket = r.ticket;
  }
  ASSERT_TRUE(testing::wait_until([&] { return w.durable_count(p) >= ticket; }));
  ASSERT_TRUE(w.close());
  std::vector<SegmentFile> before;
  ASSERT_TRUE(list_segments(dir.path(), before));
  ASSERT_GT(before.size(), 5u);

  const std::uint64_t older = before[2].first_sequence + 3;  // inside segment 2
  const std::uint64_t newer = before[4].first_sequence + 1;  // inside segment 4
  ASSERT_TRUE(write_snapshot(dir.path(), before[0].first_sequence, state(10, 0)));
  ASSERT_TRUE(write_snapshot(dir.path(), older, state(10, 1)));
  ASSERT_TRUE(write_snapshot(dir.path(), newer, state(10, 2)));
  testing::write_bytes(dir.file(snapshot_file_name(999) + ".tmp"), Bytes(3));
  PruneResult pruned;
  ASSERT_TRUE(prune_log(dir.path(), 2, &pruned));
  EXPECT_EQ(pruned.snapshots_removed, 1u);
  EXPECT_EQ(pruned.segments_removed, 2u) << "segments 0 and 1 are wholly behind sequence " << older;
  std::vector<SnapshotFile> snapshots;
  ASSERT_TRUE(list_snapshots(dir.path(), snapshots));
  ASSERT_EQ(snapshots.size(), 2u);
  EXPECT_EQ(snapshots[0].covered_sequence, older);
  EXPECT_FALSE(std::filesystem::exists(dir.file(snapshot_file_name(999) + ".tmp")));
  // The fallback snapshot can still replay: the log reaches back past it.
  const testing::ScanOutcome scanned = testing::scan(dir.path(), older + 1);
  ASSERT_TRUE(scanned.status) << scanned.status.to_string();
  EXPECT_EQ(scanned.sequences.front(), older + 1);
  EXPECT_FALSE(testing::scan(dir.path(), 1).status.ok()) << "the pruned start is gone";
}

TEST(Snapshot, PruneNeverRemovesTheLastSegment) {
  TempDir dir;
  testing::LogBuilder b;
  b.segment();
  b.record("only");
  b.write(dir.path());
  ASSERT_TRUE(write_snapshot(dir.path(), 2, state(1, 0)));
  PruneResult pruned;
  ASSERT_TRUE(prune_log(dir.path(), 1, &pruned));
  EXPECT_EQ(pruned.segments_removed, 0u);
  EXPECT_TRUE(testing::scan(dir.path(), 3).status);
}

// A snapshot is streamed to the disk as it is written and dropped from the
// page cache behind it (SnapshotSink::flush), so the final fsync does not
// find hundreds of MB dirty for the log's fdatasyncs to queue behind. What is
// left in the cache after a 48 MiB snapshot is the last buffer or so.
TEST(Snapshot, WritingStreamsToDiskAndLeavesLittleInThePageCache) {
  TempDir dir;
  struct statfs fs {};
  ASSERT_EQ(::statfs(dir.path().c_str(), &fs), 0);
  if (fs.f_type == TMPFS_MAGIC) GTEST_SKIP() << "tmpfs keeps every page in memory: nothing to drop";
  constexpr std::size_t bytes = 48u << 20;
  SnapshotInfo written;
  ASSERT_TRUE(write_snapshot(dir.path(), 7, state(bytes, 3), &written));
  const FileDescriptor fd(::open(written.path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  const std::size_t length = written.header_bytes + bytes;
  void* map = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd.get(), 0);
  ASSERT_NE(map, MAP_FAILED);
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident((length + page - 1) / page);
  ASSERT_EQ(::mincore(map, length, resident.data()), 0);
  ::munmap(map, length);
  std::size_t in_cache = 0;
  for (const unsigned char r : resident) in_cache += r & 1;
  // Without the streaming every page stays cached (dirty, then clean).
  EXPECT_LT(in_cache * page, std::size_t{8} << 20) << in_cache << " of " << resident.size() << " pages cached";
}

}  // namespace
}  // namespace authswitch::ledger
