// A batching producer's end_batch(): in `async` it writes the queue itself
// when the writer role is free (and then its records are written when it
// returns), never in `sync`, never where a rotation could be needed, never
// past a stalled writer; the writer thread still syncs what it wrote.
#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "ledger/log_reader.h"
#include "ledger/wal_writer.h"
#include "tests/ledger/test_util.h"
#include "tests/ledger/wait_until.h"

namespace authswitch::ledger {
namespace {

using testing::TempDir;
using testing::wait_until;

constexpr std::uint16_t event_type = 2;

WalOptions options(const TempDir& dir, Durability durability, std::size_t segment_bytes = 8u << 20) {
  WalOptions o;
  o.dir = dir.path();
  o.producers = 2;
  o.durability = durability;
  o.flush_interval_ms = 1;
  o.segment_bytes = segment_bytes;
  return o;
}

AppendResult append_index(WalWriter& w, ProducerId id, std::uint32_t index) {
  std::array<std::byte, 4> payload{};
  std::memcpy(payload.data(), &index, sizeof index);
  return w.append(id, event_type, payload);
}

// The indexes of the event records in the log, in order.
std::vector<std::uint32_t> logged_indexes(const std::string& dir) {
  std::vector<std::uint32_t> out;
  LogReader reader;
  EXPECT_TRUE(reader.open(dir, 1));
  RecordView r;
  bool has = true;
  for (;;) {
    EXPECT_TRUE(reader.next(r, has));
    if (!has) break;
    if (r.type != event_type) continue;
    std::uint32_t index = 0;
    std::memcpy(&index, r.payload.data(), sizeof index);
    out.push_back(index);
  }
  return out;
}

// A log open in `durability` with one batching producer (`id`).
struct BatchingLog {
  explicit BatchingLog(Durability durability, std::size_t segment_bytes = 8u << 20, bool stalled = false)
      : w(options(dir, durability, segment_bytes)) {
    w.stall_for_test(stalled);
    EXPECT_TRUE(w.open());
    id = w.register_producer(ProducerKind::batching);
  }
  TempDir dir;
  WalWriter w;
  ProducerId id = 0;
};

std::vector<std::uint32_t> up_to(std::uint32_t n) {
  std::vector<std::uint32_t> v(n);
  for (std::uint32_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

TEST(WalCombining, AsyncEndBatchWritesTheBatchBeforeItReturns) {
  BatchingLog log(Durability::async);
  WalWriter& w = log.w;
  const ProducerId id = log.id;
  std::uint32_t appended = 0;
  std::uint32_t combined = 0;
  // The role may be the writer thread's at any one call (it then gets
  // woken instead); within the deadline some call finds it free.
  ASSERT_TRUE(wait_until([&] {
    // While the writer thread holds the role, appends would outrun it.
    for (int k = 0; k < 3 && w.room(id) > 0; ++k) {
      EXPECT_TRUE(append_index(w, id, appended).ok());
      ++appended;
    }
    if (!w.end_batch(id)) return false;
    EXPECT_GE(w.written_count(id), appended) << "end_batch said written, the count disagrees";
    return ++combined == 20;
  }));
  // The writer thread syncs what the producer wrote, with no further append.
  ASSERT_TRUE(wait_until([&] { return w.durable_count(id) == appended; }));
  ASSERT_TRUE(w.close());
  EXPECT_GE(w.stats().combined, 20u);
  EXPECT_EQ(w.stats().rotations, 1u);
  EXPECT_EQ(logged_indexes(log.dir.path()), up_to(appended));
}

// The writer's periodic fdatasync runs without the role: a producer writes
// (and its answers may leave) while it runs, and what it wrote then is not
// published durable by that sync, only by the next.
TEST(WalCombining, AProducerWritesDuringASyncThatDoesNotCoverIt) {
  BatchingLog log(Durability::async);
  WalWriter& w = log.w;
  const ProducerId id = log.id;
  w.hold_syncs_for_test(true);
  std::uint32_t appended = 0;
  ASSERT_TRUE(append_index(w, id, appended++).ok());
  (void)w.end_batch(id);  // written by this call or by the writer thread
  // Sync A starts within the flush interval, covering record 0, and is held
  // just before its fdatasync, without the role.
  ASSERT_TRUE(wait_until([&] { return w.syncs_held_for_test() == 1; }));
  ASSERT_EQ(w.written_count(id), 1u);
  ASSERT_TRUE(wait_until([&] {
    if (w.room(id) > 0) {
      EXPECT_TRUE(append_index(w, id, appended++).ok());
    }
    return w.end_batch(id);
  }));
  EXPECT_EQ(w.written_count(id), appended) << "the producer wrote while the sync ran";
  // A completes; the writer then starts sync B for the rest, held in turn.
  w.let_one_sync_pass_for_test();
  ASSERT_TRUE(wait_until([&] { return w.syncs_held_for_test() == 2; }));
  EXPECT_EQ(w.durable_count(id), 1u) << "sync A published records written after it began";
  w.hold_syncs_for_test(false);
  ASSERT_TRUE(wait_until([&] { return w.durable_count(id) == appended; }));
  ASSERT_TRUE(w.close());
  EXPECT_EQ(logged_indexes(log.dir.path()), up_to(appended));
}

TEST(WalCombining, SyncEndBatchOnlyWakesTheWriter) {
  BatchingLog log(Durability::sync);
  WalWriter& w = log.w;
  const ProducerId id = log.id;
  for (std::uint32_t i = 0; i < 10; ++i) ASSERT_TRUE(append_index(w, id, i).ok());
  EXPECT_FALSE(w.end_batch(id));
  ASSERT_TRUE(wait_until([&] { return w.durable_count(id) == 10; }));
  ASSERT_TRUE(w.close());
  EXPECT_EQ(w.stats().combined, 0u);
  EXPECT_EQ(logged_indexes(log.dir.path()), up_to(10));
}

TEST(WalCombining, NoProducerWriteWhereABatchCouldNeedARotation) {
  // Segments smaller than one batch buffer: any producer write could cross
  // a segment end, so every batch is the writer thread's.
  BatchingLog log(Durability::async, 512u << 10);
  WalWriter& w = log.w;
  const ProducerId id = log.id;
  for (std::uint32_t i = 0; i < 200; ++i) {
    ASSERT_TRUE(append_index(w, id, i).ok());
    EXPECT_FALSE(w.end_batch(id)) << "at record " << i;
  }
  ASSERT_TRUE(wait_until([&] { return w.written_count(id) == 200; }));
  ASSERT_TRUE(w.close());
  EXPECT_EQ(w.stats().combined, 0u);
  EXPECT_EQ(logged_indexes(log.dir.path()), up_to(200));
}

TEST(WalCombining, AStalledWriterIsNotBypassed) {
  BatchingLog log(Durability::async, 8u << 20, true);
  WalWriter& w = log.w;
  const ProducerId id = log.id;
  ASSERT_TRUE(append_index(w, id, 0).ok());
  EXPECT_FALSE(w.end_batch(id));
  EXPECT_EQ(w.written_count(id), 0u);
  w.stall_for_test(false);
  ASSERT_TRUE(wait_until([&] { return w.written_count(id) == 1; }));
  ASSERT_TRUE(w.close());
  EXPECT_EQ(logged_indexes(log.dir.path()), up_to(1));
}

TEST(WalCombining, NothingOutstandingIsNotAWrite) {
  BatchingLog log(Durability::async);
  WalWriter& w = log.w;
  const ProducerId id = log.id;
  EXPECT_FALSE(w.end_batch(id));
  ASSERT_TRUE(w.close());
  EXPECT_EQ(w.stats().combined, 0u);
}

TEST(WalCombining, AWriteFailureInAProducersWriteFailsTheLog) {
  BatchingLog log(Durability::async);
  WalWriter& w = log.w;
  const ProducerId id = log.id;
  w.inject_write_error_for_test(EIO);
  // Whoever writes next (this producer or the writer thread) fails, and
  // then no record is acknowledged, whoever holds the role.
  ASSERT_TRUE(append_index(w, id, 0).ok());
  EXPECT_FALSE(w.end_batch(id));
  ASSERT_TRUE(wait_until([&] { return w.failed(); }));
  EXPECT_EQ(w.written_count(id), 0u);
  EXPECT_EQ(append_index(w, id, 1).fault, Fault::io);
  EXPECT_FALSE(w.close());
}

}  // namespace
}  // namespace authswitch::ledger
