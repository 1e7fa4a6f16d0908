// Single writer per shard under load (label "concurrent": CI runs it under
// ThreadSanitizer too).
//
// Producers race requests at cards of users who share tight daily limits and
// company limits; the requests go through per-shard queues to shard threads,
// as the io layer routes them. Readers meanwhile read totals under the
// seqlocks and check that no approval is ever seen half applied. Afterwards
// every answer must equal what a sequential model computes for the order each
// shard processed its requests in, and no limit may be exceeded.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include <deque>
#include <mutex>

#include "tests/core/core_fixture.h"

namespace authswitch::core::testing {
namespace {

constexpr int companies = 2, users_per_company = 3, loose_users = 2, cards_per_user = 2;
constexpr std::int64_t user_daily = 8000, company_daily = 20000, balance_prepaid = 15000;

std::string card_pan(int card) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "5100%012d", card);
  return buf;
}

// Users 0..5 in companies (3 each), 6..7 without; even users are prepaid.
std::string accounts() {
  std::string s;
  for (int c = 0; c < companies; ++c) {
    s += "{\"type\":\"company\",\"id\":\"co" + std::to_string(c) +
         "\",\"limits\":[{\"period\":\"daily\",\"max\":" + std::to_string(company_daily) +
         "},{\"period\":\"monthly\",\"max\":100000000}]}\n";
  }
  const int users = companies * users_per_company + loose_users;
  for (int u = 0; u < users; ++u) {
    s += "{\"type\":\"user\",\"id\":\"u" + std::to_string(u) + "\",";
    if (u < companies * users_per_company) s += "\"company\":\"co" + std::to_string(u / users_per_company) + "\",";
    if (u % 2 == 0) s += "\"balance\":" + std::to_string(balance_prepaid) + ",";
    s += "\"limits\":[{\"period\":\"daily\",\"max\":" + std::to_string(user_daily) +
         "},{\"period\":\"monthly\",\"max\":100000000}]}\n";
  }
  for (int k = 0; k < users * cards_per_user; ++k) {
    s += "{\"type\":\"card\",\"id\":\"k" + std::to_string(k) + "\",\"pan\":\"" + card_pan(k) + "\",\"user\":\"u" +
         std::to_string(k / cards_per_user) + "\",\"expiry\":\"3012\",\"status\":\"active\",\"currency\":\"392\"}\n";
  }
  return s;
}

// The sequential model of one daily slot, by day number (SPEC 4 as the
// slot implements it: current and next, slide forward, earlier counts in
// current).
struct ModelSlot {
  bool used = false;
  std::int64_t cur = 0;
  std::int64_t total[2] = {0, 0};
  [[nodiscard]] std::int64_t total_at(std::int64_t day) const {
    if (!used) return 0;
    if (day <= cur) return total[0];
    if (day == cur + 1) return total[1];
    return 0;
  }
  void add(std::int64_t day, std::int64_t amount) {
    if (!used || day >= cur + 2) {
      if (used && day == cur + 2) {
        cur += 1;
        total[0] = total[1];
        total[1] = 0;
      } else {
        used = true;
        cur = day;
        total[0] = total[1] = 0;
      }
    }
    total[day <= cur ? 0 : 1] += amount;
  }
};

struct Item {
  std::uint32_t index;
};

// The routing queue of one shard: many producers, one consumer. A mutex is
// enough for a test harness (the io layer's rings are tested in tests/io);
// moodycamel's queue would not build under ThreadSanitizer, which rejects
// its std::atomic_thread_fence.
class ShardQueue {
 public:
  void push(Item item) {
    const std::lock_guard<std::mutex> lock(mu_);
    items_.push_back(item);
  }
  bool try_pop(Item& item) {
    const std::lock_guard<std::mutex> lock(mu_);
    if (items_.empty()) return false;
    item = items_.front();
    items_.pop_front();
    return true;
  }

 private:
  std::mutex mu_;
  std::deque<Item> items_;
};

void run_stress(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int producers = 2 + static_cast<int>(rng() % 7);  // 2..8
  const int per_producer = 4800 / producers;
  constexpr std::uint16_t shards = 3;
  auto core = make_core(accounts(), "Asia/Tokyo", shards, 1u << 14);
  ASSERT_TRUE(core);
  const int users = companies * users_per_company + loose_users;

  // The requests, made up front so the model can see them.
  std::vector<AuthRequest> reqs;
  for (int p = 0; p < producers; ++p) {
    for (int i = 0; i < per_producer; ++i) {
      const int card = static_cast<int>(rng() % (users * cards_per_user));
      const std::int64_t amount = 1 + static_cast<std::int64_t>(rng() % 1500);
      const TimeMs t = t_noon_tokyo + (rng() % 4 == 0 ? ms_per_day : 0);
      AuthRequest r = request(card_pan(card), amount, static_cast<std::uint32_t>(i + 1), MtiClass::authorization, t);
      r.acquirer = 1000 + static_cast<std::uint64_t>(p);
      if (rng() % 8 == 0) r.mti_class = MtiClass::financial;
      reqs.push_back(r);
    }
  }

  std::vector<ShardQueue> queues(shards);
  std::vector<std::vector<std::pair<std::uint32_t, ResponseCode>>> logs(shards);
  std::atomic<int> producers_left{producers};
  std::atomic<int> shards_left{shards};
  std::atomic<bool> failed{false};

  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < per_producer; ++i) {
        const auto index = static_cast<std::uint32_t>(p * per_producer + i);
        const ShardId s = core->route(reqs[index]);
        // The prefetch stages are hints any thread may issue: here from a
        // thread that is not the shard's, racing its decisions (the
        // staged-body marks are relaxed atomics; TSan checks them).
        core->prefetch(reqs[index], Core::PrefetchStage::user);
        queues[s].push(Item{index});
      }
      producers_left.fetch_sub(1, std::memory_order_release);
    });
  }
  for (ShardId s = 0; s < shards; ++s) {
    threads.emplace_back([&, s] {
      NullSink sink;
      Item item;
      // As the switch's authorization thread: every stage, then the decision.
      auto decide = [&](std::uint32_t index) {
        for (const auto stage : {Core::PrefetchStage::index, Core::PrefetchStage::user, Core::PrefetchStage::limits}) {
          core->prefetch(reqs[index], stage);
        }
        return core->authorize(s, reqs[index], sink).rc;
      };
      while (true) {
        if (queues[s].try_pop(item)) {
          logs[s].emplace_back(item.index, decide(item.index));
        } else if (producers_left.load(std::memory_order_acquire) == 0) {
          if (!queues[s].try_pop(item)) break;
          logs[s].emplace_back(item.index, decide(item.index));
        } else {
          std::this_thread::yield();
        }
      }
      shards_left.fetch_sub(1, std::memory_order_release);
    });
  }
  // Readers: every consistent read of a company shows its monthly total equal
  // to the sum of its users' monthly totals (every approval moves both), each
  // user's holds + postings equal to its monthly total, no limit exceeded.
  const Accounts& acc = core->accounts();
  const SlotPool& pool = *acc.slots;
  std::atomic<long> reads{0};
  for (int rdr = 0; rdr < 2; ++rdr) {
    threads.emplace_back([&] {
      while (shards_left.load(std::memory_order_acquire) > 0 || reads.load() < 10) {
        for (int c = 0; c < companies; ++c) {
          const Company& co = acc.companies[static_cast<std::size_t>(c)];
          std::int64_t sum_users = 0, company_month = 0, company_day_max_seen = 0;
          bool bad_user = false;
          while (true) {
            const std::uint32_t b = seq_read_begin(co.seq);
            sum_users = 0;
            bad_user = false;
            for (int k = 0; k < users_per_company; ++k) {
              const User& u = acc.users[static_cast<std::size_t>(c * users_per_company + k)];
              const SlotView day = read_slot(pool[load_acquire(u.limits.slots[0])]);
              const SlotView month = read_slot(pool[load_acquire(u.limits.slots[1])]);
              sum_users += month.current_total;
              const std::int64_t spent = load_acquire(u.open_holds) +
                                         (u.has_balance ? balance_prepaid - load_acquire(u.balance) : 0);
              if (day.current_total > user_daily || day.next_total > user_daily) bad_user = true;
              if (u.has_balance && load_acquire(u.balance) - load_acquire(u.open_holds) < 0) bad_user = true;
              if (u.has_balance && spent != month.current_total) bad_user = true;
              if (!u.has_balance && load_acquire(u.open_holds) > month.current_total) bad_user = true;
            }
            const SlotView cday = read_slot(pool[load_acquire(co.limits.slots[0])]);
            company_month = read_slot(pool[load_acquire(co.limits.slots[1])]).current_total;
            company_day_max_seen = std::max(cday.current_total, cday.next_total);
            if (!seq_read_retry(co.seq, b)) break;
          }
          if (sum_users != company_month || bad_user || company_day_max_seen > company_daily) {
            failed.store(true);
          }
        }
        reads.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_FALSE(failed.load()) << "a reader saw a partial application, seed " << seed;
  EXPECT_GT(reads.load(), 0);

  // Sequential model over each shard's processing order.
  std::vector<ModelSlot> user_day(static_cast<std::size_t>(users)), company_day(companies);
  std::vector<std::int64_t> available(static_cast<std::size_t>(users), balance_prepaid);
  std::vector<std::int64_t> approved(static_cast<std::size_t>(users), 0);
  std::size_t answered = 0;
  for (ShardId s = 0; s < shards; ++s) {
    for (const auto& [index, got] : logs[s]) {
      ++answered;
      const AuthRequest& r = reqs[index];
      const int card = std::stoi(std::string(r.pan()).substr(4));
      const auto u = static_cast<std::size_t>(card / cards_per_user);
      const int c = static_cast<int>(u) < companies * users_per_company ? static_cast<int>(u) / users_per_company : -1;
      const std::int64_t day = (r.txn_time_ms - t_noon_tokyo) / ms_per_day;
      ResponseCode want = ResponseCode::approved;
      if (user_day[u].total_at(day) + r.amount > user_daily) want = ResponseCode::exceeds_limit;
      else if (c >= 0 && company_day[static_cast<std::size_t>(c)].total_at(day) + r.amount > company_daily) want = ResponseCode::exceeds_limit;
      else if (u % 2 == 0 && r.amount > available[u]) want = ResponseCode::insufficient_funds;
      ASSERT_EQ(got, want) << "seed " << seed << " shard " << s << " request " << index;
      if (want == ResponseCode::approved) {
        user_day[u].add(day, r.amount);
        if (c >= 0) company_day[static_cast<std::size_t>(c)].add(day, r.amount);
        if (u % 2 == 0) available[u] -= r.amount;
        approved[u] += r.amount;
      }
    }
  }
  EXPECT_EQ(answered, reqs.size());
  for (int u = 0; u < users; ++u) {
    const OwnerView v = core->read_user(static_cast<std::uint32_t>(u), time_ms_min);
    EXPECT_EQ(v.limits[1].current.total, approved[static_cast<std::size_t>(u)]) << "user " << u;
    EXPECT_LE(v.limits[0].current.total, user_daily);
    EXPECT_LE(v.limits[0].next.total, user_daily);
  }
}

TEST(Concurrency, ShardsNeverExceedALimitAndMatchTheSequentialModel) {
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE(seed);
    run_stress(seed);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// The same key from several shard threads at once, each with its own card
// (so different content): exactly one decides, the others get 94.
TEST(Concurrency, DuplicateKeyRacedAcrossShardsHasExactlyOneWinner) {
  constexpr int racers = 4;
  auto core = make_core(accounts(), "Asia/Tokyo", racers, 1u << 14);
  ASSERT_TRUE(core);
  // One card per shard.
  std::vector<std::string> pans(racers);
  for (int k = 0, found = 0; k < 16 && found < racers; ++k) {
    const ShardId s = core->route(request(card_pan(k), 1, 1));
    if (pans[s].empty()) {
      pans[s] = card_pan(k);
      ++found;
    }
  }
  for (const auto& p : pans) ASSERT_FALSE(p.empty());
  constexpr int rounds = 400;
  std::vector<std::vector<ResponseCode>> got(racers, std::vector<ResponseCode>(rounds));
  std::barrier sync(racers);
  std::vector<std::thread> threads;
  for (int s = 0; s < racers; ++s) {
    threads.emplace_back([&, s] {
      NullSink sink;
      for (int i = 0; i < rounds; ++i) {
        sync.arrive_and_wait();
        AuthRequest r = request(pans[static_cast<std::size_t>(s)], 1, static_cast<std::uint32_t>(i + 1));
        got[static_cast<std::size_t>(s)][static_cast<std::size_t>(i)] = core->authorize(static_cast<ShardId>(s), r, sink).rc;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < rounds; ++i) {
    int winners = 0, dup = 0;
    for (int s = 0; s < racers; ++s) {
      const ResponseCode rc = got[static_cast<std::size_t>(s)][static_cast<std::size_t>(i)];
      if (rc == ResponseCode::duplicate_transmission) ++dup;
      else ++winners;
    }
    EXPECT_EQ(winners, 1) << "round " << i;
    EXPECT_EQ(dup, racers - 1) << "round " << i;
  }
}

}  // namespace
}  // namespace authswitch::core::testing
