#include "ledger/recovery.h"

#include <gtest/gtest.h>

#include "ledger/wal_writer.h"
#include "tests/ledger/test_util.h"
#include "tests/ledger/wait_until.h"

namespace authswitch::ledger {
namespace {

using testing::TempDir;

// Appends records "n" for n in [from, to) and waits until they are durable.
void log_numbers(const std::string& dir, int from, int to) {
  WalOptions o;
  o.dir = dir;
  o.producers = 1;
  o.segment_bytes = constants::wal_segment_bytes_min;
  WalWriter w(o);
  ASSERT_TRUE(w.open());
  const ProducerId p = w.register_producer();
  std::uint64_t ticket = 0;
  for (int n = from; n < to; ++n) {
    const auto bytes = testing::payload_of(std::to_string(n));
    AppendResult r;
    ASSERT_TRUE(testing::wait_until([&] { return (r = w.append(p, 1, bytes)).fault != Fault::queue_full; }));
    ASSERT_TRUE(r.ok());
    ticket = r.ticket;
  }
  ASSERT_TRUE(testing::wait_until([&] { return w.durable_count(p) >= ticket; }));
  ASSERT_TRUE(w.close());
}

// A toy state: the sum of the numbers logged, and the last sequence applied.
struct Sum {
  long total = 0;
  std::uint64_t last = 0;
  Status apply(const RecordView& r) {
    last = r.sequence;
    if (r.type == 1) total += std::stol(testing::text_of(r.payload));
    return Status{};
  }
};

TEST(Recovery, EmptyFolderRecoversNothing) {
  TempDir dir;
  RecoveryResult result;
  Sum sum;
  ASSERT_TRUE(recover(
      dir.path(), [](std::span<const std::byte>) { return Status{}; },
      [&](const RecordView& r) { return sum.apply(r); }, result));
  EXPECT_FALSE(result.snapshot.has_value());
  EXPECT_EQ(result.records_applied, 0u);
  EXPECT_EQ(result.last_sequence, 0u);
}

TEST(Recovery, SnapshotThenTheRecordsAfterIt) {
  TempDir dir;
  log_numbers(dir.path(), 1, 101);  // 1..100
  // Take a snapshot of the state as of the whole log so far.
  Sum before;
  RecoveryResult first;
  ASSERT_TRUE(recover(
      dir.path(), [](std::span<const std::byte>) { return Status{}; },
      [&](const RecordView& r) { return before.apply(r); }, first));
  ASSERT_EQ(before.total, 5050);
  const std::string state = std::to_string(before.total);
  ASSERT_TRUE(write_snapshot(dir.path(), before.last, [&](SnapshotSink& sink) {
    return sink.write(std::as_bytes(std::span(state.data(), state.size())));
  }));
  log_numbers(dir.path(), 101, 151);  // 101..150, after a restart
  ASSERT_TRUE(prune_log(dir.path(), constants::snapshots_kept));

  Sum after;
  std::string loaded;
  RecoveryResult result;
  ASSERT_TRUE(recover(
      dir.path(),
      [&](std::span<const std::byte> chunk) {
        loaded += testing::text_of(chunk);
        return Status{};
      },
      [&](const RecordView& r) { return after.apply(r); }, result));
  ASSERT_TRUE(result.snapshot.has_value());
  EXPECT_EQ(result.snapshot->covered_sequence, before.last);
  EXPECT_EQ(loaded, "5050");
  after.total += std::stol(loaded);
  EXPECT_EQ(after.total, 150 * 151 / 2);
  EXPECT_EQ(result.last_sequence, after.last);
  EXPECT_GT(result.records_applied, 50u);
  EXPECT_GE(result.seconds, 0.0);
}

TEST(Recovery, CorruptionStopsWithTheReadersError) {
  TempDir dir;
  log_numbers(dir.path(), 1, 200);
  std::vector<SegmentFile> segments;
  ASSERT_TRUE(list_segments(dir.path(), segments));
  ASSERT_GE(segments.size(), 2u);
  testing::Bytes bytes = testing::read_bytes(segments[0].path);
  bytes[200] ^= std::byte{0x80};
  testing::write_bytes(segments[0].path, bytes);
  RecoveryResult result;
  const Status s = recover(
      dir.path(), [](std::span<const std::byte>) { return Status{}; },
      [](const RecordView&) { return Status{}; }, result);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.file(), segments[0].path);
}

TEST(Recovery, AnApplierErrorStopsRecovery) {
  TempDir dir;
  log_numbers(dir.path(), 1, 10);
  RecoveryResult result;
  const Status s = recover(
      dir.path(), [](std::span<const std::byte>) { return Status{}; },
      [](const RecordView& r) {
        return r.sequence == 5 ? Status::error(Fault::io, "core", -1, "cannot apply") : Status{};
      },
      result);
  EXPECT_EQ(s.fault(), Fault::io);
}

}  // namespace
}  // namespace authswitch::ledger
