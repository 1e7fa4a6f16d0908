// Several producers append at once: every record arrives exactly once, each
// producer's records in its own order, and the counters agree. Batching
// producers (end_batch after every few appends) write batches themselves
// while the writer thread writes others and rotates segments.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "ledger/wal_writer.h"
#include "tests/ledger/test_util.h"
#include "tests/ledger/wait_until.h"

namespace authswitch::ledger {
namespace {

using testing::TempDir;
using testing::wait_until;

constexpr std::uint32_t producers = 4;
constexpr std::uint32_t records_each = 20000;

struct Payload {
  std::uint32_t producer;
  std::uint32_t index;
  std::byte padding[56];
};

void produce(WalWriter& w, ProducerId id, ProducerKind kind, std::atomic<bool>& counters_went_backwards) {
  Payload payload{};
  payload.producer = id;
  std::uint64_t last_durable = 0;
  for (std::uint32_t i = 0; i < records_each; ++i) {
    // Batches of 1 to 16 records, as an authorization thread's passes.
    if (kind == ProducerKind::batching && (i * 7 + id) % 16 == 0) {
      const std::uint64_t appended = i;
      if (w.end_batch(id) && w.written_count(id) < appended) counters_went_backwards.store(true);
    }
    payload.index = i;
    AppendResult r;
    ASSERT_TRUE(wait_until([&] {
      r = w.append(id, 2, std::as_bytes(std::span(&payload, 1)));
      if (r.fault == Fault::queue_full && kind == ProducerKind::batching) (void)w.end_batch(id);
      return r.fault != Fault::queue_full;
    }));
    ASSERT_TRUE(r.ok()) << fault_name(r.fault);
    ASSERT_EQ(r.ticket, i + 1u);
    const std::uint64_t durable = w.durable_count(id);
    if (durable < last_durable || durable > r.ticket || w.written_count(id) < durable) {
      counters_went_backwards.store(true);
    }
    last_durable = durable;
  }
  if (kind == ProducerKind::batching) (void)w.end_batch(id);
  ASSERT_TRUE(wait_until([&] { return w.durable_count(id) == records_each; }));
}

void run_producers(Durability durability, ProducerKind kind = ProducerKind::awaited,
                   std::size_t segment_bytes = 256 * 1024) {
  TempDir dir;
  WalOptions o;
  o.dir = dir.path();
  o.producers = producers;
  o.durability = durability;
  o.flush_interval_ms = 1;
  o.segment_bytes = segment_bytes;  // several rotations under load
  WalWriter w(o);
  ASSERT_TRUE(w.open());
  std::vector<ProducerId> ids;
  for (std::uint32_t k = 0; k < producers; ++k) ids.push_back(w.register_producer(kind));
  std::atomic<bool> backwards{false};
  std::vector<std::thread> threads;
  for (ProducerId id : ids) threads.emplace_back([&w, id, kind, &backwards] { produce(w, id, kind, backwards); });
  for (auto& t : threads) t.join();
  EXPECT_FALSE(backwards.load());
  for (ProducerId id : ids) {
    EXPECT_EQ(w.written_count(id), records_each);
    EXPECT_EQ(w.durable_count(id), records_each);
  }
  ASSERT_TRUE(w.close());

  std::vector<std::uint32_t> next(producers, 0);
  LogReader reader;
  ASSERT_TRUE(reader.open(dir.path(), 1));
  RecordView r;
  bool has = true;
  std::uint64_t events = 0;
  while (true) {
    ASSERT_TRUE(reader.next(r, has));
    if (!has) break;
    if (r.type != 2) continue;
    ASSERT_EQ(r.payload.size(), sizeof(Payload));
    Payload p;
    std::memcpy(&p, r.payload.data(), sizeof p);
    ASSERT_LT(p.producer, producers);
    ASSERT_EQ(p.index, next[p.producer]) << "producer " << p.producer << " out of order or duplicated";
    ++next[p.producer];
    ++events;
  }
  EXPECT_EQ(events, std::uint64_t{producers} * records_each);
  for (std::uint32_t k = 0; k < producers; ++k) EXPECT_EQ(next[k], records_each) << "producer " << k;
  EXPECT_EQ(w.durable_sequence(), reader.last_sequence());
  if (kind == ProducerKind::batching) {
    // Producers rotate nothing and sync nothing: the writer thread did both.
    EXPECT_GE(w.stats().rotations, 2u);
    if (durability == Durability::sync) {
      EXPECT_EQ(w.stats().combined, 0u);
    }
  }
}

// A checkpoint taken right after a release names the log's sequence as what
// its core has applied, so a producer's count seen must never be ahead of
// the sequence read after it. The writer publishes thousands of times here
// while a watcher reads the two in that order.
TEST(WalConcurrency, TheSequenceReadAfterAProducersCountCoversIt) {
  TempDir dir;
  WalOptions o;
  o.dir = dir.path();
  o.durability = Durability::async;
  o.flush_interval_ms = 1;  // a sync, and so a durable publish, every millisecond
  WalWriter w(o);
  ASSERT_TRUE(w.open());
  // Every producer registered, the watched one first: a publish stores the
  // others' counts too, which widens any gap between its count and the
  // sequence enough for the watcher to land in it.
  const ProducerId p = w.register_producer();
  for (std::size_t k = 1; k < o.producers; ++k) (void)w.register_producer();
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> checks{0};
  std::atomic<bool> behind{false};
  std::thread watcher([&] {
    while (!done.load(std::memory_order_acquire)) {
      // The log's own opening record comes first, so the producer's k-th
      // record has a sequence of at least k + 1.
      const std::uint64_t written = w.written_count(p);
      if (written > 0 && w.written_sequence() < written + 1) behind.store(true);
      const std::uint64_t durable = w.durable_count(p);
      if (durable > 0 && w.durable_sequence() < durable + 1) behind.store(true);
      checks.fetch_add(1, std::memory_order_relaxed);
    }
  });
  Payload payload{};
  constexpr std::uint32_t records = 60000;
  for (std::uint32_t i = 0; i < records; ++i) {
    payload.index = i;
    AppendResult r;
    ASSERT_TRUE(wait_until([&] {
      r = w.append(p, 2, std::as_bytes(std::span(&payload, 1)));
      return r.fault != Fault::queue_full;
    }));
    ASSERT_TRUE(r.ok()) << fault_name(r.fault);
    // One record at a time: each is its own publish.
    ASSERT_TRUE(wait_until([&] { return w.written_count(p) >= r.ticket; }));
  }
  ASSERT_TRUE(wait_until([&] { return w.durable_count(p) == records; }));
  done.store(true, std::memory_order_release);
  watcher.join();
  EXPECT_GT(checks.load(), 0u);
  EXPECT_FALSE(behind.load()) << "a count was seen ahead of the sequence read after it";
  ASSERT_TRUE(w.close());
}

TEST(WalConcurrency, ProducersInSyncMode) { run_producers(Durability::sync); }
TEST(WalConcurrency, ProducersInAsyncMode) { run_producers(Durability::async); }
// 2 MiB segments: room for a producer's batch in the first half of each,
// none near the end (a rotation there is the writer thread's).
TEST(WalConcurrency, BatchingProducersInAsyncMode) {
  run_producers(Durability::async, ProducerKind::batching, 2u << 20);
}
TEST(WalConcurrency, BatchingProducersInSyncMode) {
  run_producers(Durability::sync, ProducerKind::batching, 2u << 20);
}

}  // namespace
}  // namespace authswitch::ledger
