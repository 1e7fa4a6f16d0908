// Several producers append at once: every record arrives exactly once, each
// producer's records in its own order, and the counters agree.
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

void produce(WalWriter& w, ProducerId id, std::atomic<bool>& counters_went_backwards) {
  Payload payload{};
  payload.producer = id;
  std::uint64_t last_durable = 0;
  for (std::uint32_t i = 0; i < records_each; ++i) {
    payload.index = i;
    AppendResult r;
    ASSERT_TRUE(wait_until([&] {
      r = w.append(id, 2, std::as_bytes(std::span(&payload, 1)));
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
  ASSERT_TRUE(wait_until([&] { return w.durable_count(id) == records_each; }));
}

void run_producers(Durability durability) {
  TempDir dir;
  WalOptions o;
  o.dir = dir.path();
  o.producers = producers;
  o.durability = durability;
  o.flush_interval_ms = 1;
  o.segment_bytes = 256 * 1024;  // several rotations under load
  WalWriter w(o);
  ASSERT_TRUE(w.open());
  std::vector<ProducerId> ids;
  for (std::uint32_t k = 0; k < producers; ++k) ids.push_back(w.register_producer());
  std::atomic<bool> backwards{false};
  std::vector<std::thread> threads;
  for (ProducerId id : ids) threads.emplace_back([&w, id, &backwards] { produce(w, id, backwards); });
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
}

TEST(WalConcurrency, ProducersInSyncMode) { run_producers(Durability::sync); }
TEST(WalConcurrency, ProducersInAsyncMode) { run_producers(Durability::async); }

}  // namespace
}  // namespace authswitch::ledger
