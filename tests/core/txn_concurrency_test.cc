// The transaction table under racing claims with reuse happening (label
// "concurrent": CI runs it under ThreadSanitizer too).
//
// Rounds: in round r every thread claims the same 8 keys, in its own order,
// at time r x (2 x the duplicate window), into a table of 56 entries (two threads at a time on the same key), so each
// round's claims reuse the slots of the round before while other threads
// still look those old keys up. Fails if a key is ever claimed twice, if a
// reader gets another key's content (a half-reused entry), or if no slot was
// ever reused.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "core/txn_table.h"
#include "tests/core/core_fixture.h"

namespace authswitch::core::testing {
namespace {

constexpr std::uint32_t keys_per_round = 8;
constexpr std::uint8_t answer_rc = 7;

TxnKey key_of(std::uint32_t id) { return make_txn_key(1, 4242, 1123030000u + id / 1'000'000, id % 1'000'000); }
TxnContent content_of(std::uint32_t id) { return TxnContent{Pan{5100000000000000ull + id, 16}, 0, id, 392, true}; }
std::uint32_t id_of(std::uint32_t round, std::uint32_t k) { return round * 1000 + k + 1; }

// All threads leave it within a few hundred nanoseconds of each other (a
// futex-based barrier would stagger them by microseconds, and the races this
// test is after last nanoseconds).
class SpinBarrier {
 public:
  explicit SpinBarrier(unsigned n) : n_(n) {}
  void arrive_and_wait() {
    const unsigned gen = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == n_) {
      arrived_.store(0, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_acq_rel);
      return;
    }
    for (unsigned spins = 0; generation_.load(std::memory_order_acquire) == gen; ++spins) {
      if (spins > 1000) std::this_thread::yield();  // more threads than cores
    }
  }

 private:
  const unsigned n_;
  std::atomic<unsigned> arrived_{0};
  std::atomic<unsigned> generation_{0};
};

void run(unsigned threads, std::uint32_t rounds) {
  TxnTable table(64);
  ASSERT_EQ(table.capacity(), 56u);
  const TimeMs step = 2 * constants::txn_duplicate_window_ms;
  std::vector<std::atomic<int>> claims(static_cast<std::size_t>(rounds) * keys_per_round);
  std::vector<std::atomic<int>> fulls(claims.size());
  std::atomic<std::uint64_t> reused{0}, stale_reads{0}, bad{0};
  SpinBarrier sync(threads);
  auto worker = [&](unsigned me) {
    // Pairs of threads walk the keys in the same order (same key at the same
    // time), other pairs in other orders (claims of other keys change which
    // slot looks best between a scan and its CAS).
    std::mt19937 rng(me / 2 * 7919u + 1);
    std::vector<std::uint32_t> order(keys_per_round);
    for (std::uint32_t k = 0; k < keys_per_round; ++k) order[k] = k;
    for (std::uint32_t round = 0; round < rounds; ++round) {
      std::shuffle(order.begin(), order.end(), rng);
      const TimeMs now = 1'795'402'800'000 + static_cast<TimeMs>(round) * step;
      sync.arrive_and_wait();
      for (const std::uint32_t k : order) {
        const std::uint32_t id = id_of(round, k);
        const TxnTable::Result r = table.find_or_claim(key_of(id), content_of(id), TxnState::pending, now);
        const std::size_t slot = static_cast<std::size_t>(round) * keys_per_round + k;
        if (r.outcome == TxnTable::Outcome::claimed) {
          claims[slot].fetch_add(1, std::memory_order_relaxed);
          if (r.reused) reused.fetch_add(1, std::memory_order_relaxed);
          store_release(r.entry->rc, answer_rc);
          store_release(r.entry->state, static_cast<std::uint32_t>(TxnState::final));
        } else if (r.outcome == TxnTable::Outcome::found) {
          TxnAnswer a;
          if (!TxnTable::read_answer(*r.entry, key_of(id), &a) || a.content != content_of(id) ||
              (a.state == TxnState::final && a.rc != answer_rc)) {
            bad.fetch_add(1);  // this round's keys are never reusable during the round
          }
        } else {
          fulls[slot].fetch_add(1, std::memory_order_relaxed);
        }
        // Meanwhile, a key of the previous round, whose slot may be reused
        // under this read: either gone, or read whole and its own.
        if (round > 0) {
          const std::uint32_t old = id_of(round - 1, (k + me) % keys_per_round);
          if (TxnEntry* e = table.find(key_of(old))) {
            TxnAnswer a;
            if (TxnTable::read_answer(*e, key_of(old), &a)) {
              stale_reads.fetch_add(1, std::memory_order_relaxed);
              if (a.content != content_of(old)) bad.fetch_add(1);
            }
          }
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  for (std::thread& t : pool) t.join();

  std::size_t claimed_once = 0;
  for (std::size_t i = 0; i < claims.size(); ++i) {
    const int c = claims[i].load();
    ASSERT_LE(c, 1) << "key claimed twice: round " << i / keys_per_round << " key " << i % keys_per_round;
    if (c == 0) {
      EXPECT_GT(fulls[i].load(), 0) << "a key neither claimed nor refused";
    }
    claimed_once += c == 1 ? 1 : 0;
  }
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(reused.load(), 0u);
  EXPECT_GT(claimed_once, claims.size() * 9 / 10);  // full windows are rare at this load
  std::printf("threads=%u claims=%zu reused=%llu stale_reads=%llu\n", threads, claimed_once,
              static_cast<unsigned long long>(reused.load()), static_cast<unsigned long long>(stale_reads.load()));
}

TEST(TxnTableConcurrency, TwoThreadsSameKeysWithReuse) { run(2, 20000); }
TEST(TxnTableConcurrency, FourThreadsSameKeysWithReuse) { run(4, 5000); }

// Through the core: the same key arrives with two cards whose users belong to
// two shards, on both shard threads at once (two connections, routed apart),
// while old entries are being reused. One of the two is decided; the other is
// answered from the stored record (94: another PAN) or 91 while it is being
// decided, never decided a second time.
TEST(TxnTableConcurrency, SameKeyOnTwoShardsIsDecidedOnce) {
  const char* accounts = R"({"type":"user","id":"a"}
{"type":"user","id":"b"}
{"type":"card","id":"ka","pan":"5100000000000001","user":"a","expiry":"3012","status":"active","currency":"392"}
{"type":"card","id":"kb","pan":"5100000000000019","user":"b","expiry":"3012","status":"active","currency":"392"}
)";
  auto core = make_core(accounts, "Asia/Tokyo", 2, 64);
  ASSERT_NE(core, nullptr);
  const char* pans[2] = {"5100000000000001", "5100000000000019"};
  ShardId shard_of[2];
  for (int s = 0; s < 2; ++s) shard_of[s] = core->route(request(pans[s], 1, 1));
  ASSERT_NE(shard_of[0], shard_of[1]);
  constexpr std::uint32_t keys = 20000, per_round = 8;
  std::vector<std::atomic<int>> fresh(keys);
  std::atomic<int> bad{0};
  SpinBarrier sync(2);
  auto worker = [&](int s) {
    NullSink sink;
    for (std::uint32_t k = 0; k < keys; ++k) {
      if (k % per_round == 0) sync.arrive_and_wait();
      const TimeMs t = t_noon_tokyo + static_cast<TimeMs>(k / per_round) * constants::txn_duplicate_window_ms / 3;
      const AuthResponse r = core->authorize(shard_of[s], request(pans[s], 1, k + 1, MtiClass::financial, t), sink);
      if (!r.duplicate && r.rc != ResponseCode::system_unavailable) {
        fresh[k].fetch_add(1, std::memory_order_relaxed);
        if (r.rc != ResponseCode::approved) bad.fetch_add(1);
      } else if (r.duplicate && r.rc != ResponseCode::duplicate_transmission &&
                 r.rc != ResponseCode::system_unavailable) {
        bad.fetch_add(1);  // a stored answer for another PAN's key must be 94
      }
    }
  };
  std::thread a(worker, 0), b(worker, 1);
  a.join();
  b.join();
  int decided = 0;
  for (std::uint32_t k = 0; k < keys; ++k) {
    ASSERT_LE(fresh[k].load(), 1) << "key " << k << " decided twice";
    decided += fresh[k].load();
  }
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(decided, static_cast<int>(keys) * 9 / 10);
  EXPECT_GT(core->txn_stats().reused, 0u);
}

}  // namespace
}  // namespace authswitch::core::testing
