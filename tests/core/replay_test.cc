// Replay: the events of a random (seeded) run, applied to a fresh core built
// from the same accounts, rebuild exactly the same state: totals in every
// period, holds, balances, duplicate keys with their stored answers,
// remembered reversals, limits, cards, approval counters, idempotency keys.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "tests/core/accounts_text.h"
#include "tests/core/core_fixture.h"

namespace authswitch::core::testing {
namespace {

constexpr const char* pans[] = {pan_c1, pan_lost, pan_blocked, pan_expired, pan_c2, pan_c3, pan_nov, pan_usd, pan_unknown};

void run_replay(std::uint64_t seed) {
  constexpr std::uint16_t shards = 2;
  auto live = make_core(rules_accounts, "America/New_York", shards, 1u << 12);
  ASSERT_TRUE(live);
  RecordingSink sink;
  std::mt19937_64 rng(seed);
  std::vector<AuthRequest> originals;
  TimeMs now = t_noon_tokyo;
  std::uint32_t stan = 1;
  std::vector<std::string> added_pans;
  TimeMs latest_sent = time_ms_min;
  for (int step = 0; step < 1500; ++step) {
    // Time moves on by up to ~9 hours a step, sometimes back a little (a
    // late request), so windows slide over days, weeks and months.
    now += static_cast<TimeMs>(rng() % (9 * 3'600'000)) - 1'800'000;
    const unsigned op = static_cast<unsigned>(rng() % 100);
    if (op < 50) {
      const char* pan = pans[rng() % std::size(pans)];
      std::string pan_text = pan;
      if (!added_pans.empty() && rng() % 10 == 0) pan_text = added_pans[rng() % added_pans.size()];
      AuthRequest r = request(pan_text, 1 + static_cast<std::int64_t>(rng() % 120000), stan++, MtiClass::authorization, now);
      const unsigned kind = static_cast<unsigned>(rng() % 10);
      if (kind == 0) r.mti_class = MtiClass::financial;
      if (kind == 1) r.mti_class = MtiClass::advice;
      if (kind == 2) r.processing_code = 200000;
      if (kind == 3) { r.processing_code = 300000; r.amount = 0; }
      if (kind == 4) r.field7 += 1;  // another key space
      (void)live->authorize(live->route(r), r, sink);
      latest_sent = std::max(latest_sent, now);
      originals.push_back(r);
    } else if (op < 60 && !originals.empty()) {
      // A retransmission: the same, or with a changed amount (94).
      AuthRequest r = originals[rng() % originals.size()];
      r.repeat = true;
      if (rng() % 3 == 0) r.amount += 1;
      (void)live->authorize(live->route(r), r, sink);
    } else if (op < 75) {
      // A reversal of a known original, or of one not sent yet (remembered).
      AuthRequest orig = !originals.empty() && rng() % 4 != 0 ? originals[rng() % originals.size()]
                                                                : request(pans[rng() % 7], 5000, stan + 5, MtiClass::authorization, now);
      AuthRequest rev = reversal_of(orig, stan++, rng() % 3 == 0 ? MtiClass::reversal_advice : MtiClass::reversal);
      rev.txn_time_ms = now;
      if (rng() % 3 == 0) {
        rev.present |= AuthRequest::f95;
        rev.actual_amount = static_cast<std::int64_t>(rng() % 5000);
      }
      (void)live->authorize(live->route(rev), rev, sink);
      latest_sent = std::max(latest_sent, now);
    } else if (op < 82) {
      const std::uint32_t user = static_cast<std::uint32_t>(rng() % 3);
      const std::string key = "k" + std::to_string(rng() % 20);
      const std::int64_t amount = static_cast<std::int64_t>(rng() % 20000) - 5000;
      (void)live->adjust_balance(live->shard_of_user(user), user, amount, key,
                                 static_cast<std::uint64_t>(amount) * 31 + user, sink);
    } else if (op < 88) {
      LimitList l;
      const LimitSpec specs[] = {{PeriodKind::daily, 1, 1, 0}, {PeriodKind::weekly, 3, 1, 120},
                                 {PeriodKind::monthly, 1, anchor_day_last, 0}, {PeriodKind::total, 1, 1, 0},
                                 {PeriodKind::monthly, 1, 20, 0}};
      const unsigned n = static_cast<unsigned>(rng() % 4);
      for (unsigned i = 0; i < n; ++i) l.items[l.count++] = Limit{specs[(i + rng()) % 5], static_cast<std::int64_t>(rng() % 400000)};
      if (!validate_limit_list(l).empty()) continue;
      if (rng() % 2 == 0) {
        const std::uint32_t user = static_cast<std::uint32_t>(rng() % 3);
        (void)live->set_limits(live->shard_of_user(user), LimitOwner::user, user, l, sink, nullptr);
      } else {
        (void)live->set_limits(live->shard_of_company(0), LimitOwner::company, 0, l, sink, nullptr);
      }
    } else if (op < 92) {
      const auto card = static_cast<std::uint32_t>(rng() % 9);
      (void)live->set_card_status(card, static_cast<CardStatus>(rng() % 2 == 0 ? 0 : rng() % 4), sink);
    } else if (op < 95) {
      const std::string pan = "55000000000" + std::to_string(10000 + added_pans.size());
      const std::string id = "added" + std::to_string(added_pans.size());
      NewCard c{id, *parse_pan(pan), static_cast<std::uint32_t>(rng() % 3), 3012, CardStatus::active, 392};
      if (live->add_card(c, sink) == OpStatus::ok) added_pans.push_back(pan);
    } else {
      for (ShardId s = 0; s < shards; ++s) (void)live->expire_holds(s, now, 3 * ms_per_day, sink);
    }
  }
  ASSERT_GT(sink.events.size(), 1000u);

  auto replayed = make_core(rules_accounts, "America/New_York", shards, 1u << 12);
  ASSERT_TRUE(replayed);
  for (const Event& e : sink.events) replayed->apply(e);
  const std::string want = live->dump_state(), got = replayed->dump_state();
  ASSERT_EQ(got, want) << "seed " << seed;
  // SPEC 4's "latest transaction time seen", by which the API presents
  // periods under the message clock.
  EXPECT_EQ(live->latest_transaction_time(), std::optional<TimeMs>(latest_sent));
  EXPECT_EQ(replayed->latest_transaction_time(), live->latest_transaction_time());

  // And the replayed core decides the next request exactly as the live one.
  AuthRequest next = request(pan_c1, 1000, 999'999, MtiClass::authorization, now);
  NullSink none;
  const AuthResponse a = live->authorize(live->route(next), next, none);
  const AuthResponse b = replayed->authorize(replayed->route(next), next, none);
  EXPECT_EQ(a.rc, b.rc);
  EXPECT_EQ(a.approval(), b.approval());
}

TEST(Replay, RebuildsTheSameStateWithoutDecidingAgain) {
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE(seed);
    run_replay(seed);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// The latest transaction time is the latest decided, not the last: a late
// request does not move it back. Replay and a snapshot's state keep it (the
// state from the transactions its table holds).
TEST(Replay, TheLatestTransactionTimeSurvivesReplayAndASnapshot) {
  auto live = make_core(rules_accounts);
  ASSERT_TRUE(live);
  EXPECT_EQ(live->latest_transaction_time(), std::nullopt);
  RecordingSink sink;
  const TimeMs later = t_noon_tokyo + 3 * ms_per_day;
  ASSERT_EQ(rc(live->authorize(0, request(pan_c1, 100, 1, MtiClass::authorization, t_noon_tokyo), sink)), "00");
  ASSERT_EQ(rc(live->authorize(0, request(pan_c1, 100, 2, MtiClass::authorization, later), sink)), "00");
  ASSERT_EQ(rc(live->authorize(0, request(pan_c1, 100, 3, MtiClass::authorization, later - ms_per_day), sink)), "00");
  EXPECT_EQ(live->latest_transaction_time(), std::optional<TimeMs>(later));

  auto replayed = make_core(rules_accounts);
  for (const Event& e : sink.events) replayed->apply(e);
  EXPECT_EQ(replayed->latest_transaction_time(), std::optional<TimeMs>(later));

  std::vector<std::byte> state;
  live->save_state(state);
  auto loaded = make_core(rules_accounts);
  std::string error;
  ASSERT_TRUE(loaded->load_state(state, &error)) << error;
  EXPECT_EQ(loaded->latest_transaction_time(), std::optional<TimeMs>(later));
}

// A limit moved to another reset time and anchor day keeps its totals live,
// and replay (a restart, the checkpointer's shadow) reaches the same windows
// and totals from the same events.
TEST(Replay, AReshapedLimitReplaysToTheLiveTotals) {
  auto live = make_core(rules_accounts);
  ASSERT_TRUE(live);
  RecordingSink sink;
  const std::uint32_t u1 = live->find_user("u1");
  const TimeMs t_next_day = t_noon_tokyo + ms_per_day;
  const AuthRequest first = request(pan_c1, 90000, 1);
  ASSERT_EQ(rc(live->authorize(0, first, sink)), "00");
  ASSERT_EQ(rc(live->authorize(0, request(pan_c1, 50000, 2, MtiClass::authorization, t_next_day), sink)), "00");
  LimitList l;
  l.items[l.count++] = Limit{{PeriodKind::daily, 1, 1, 4 * 60}, 200000};
  l.items[l.count++] = Limit{{PeriodKind::monthly, 1, anchor_day_last, 0}, 1000000};
  ASSERT_EQ(live->set_limits(0, LimitOwner::user, u1, l, sink, nullptr), OpStatus::ok);
  ASSERT_EQ(rc(live->authorize(0, request(pan_c1, 30000, 3, MtiClass::authorization, t_next_day), sink)), "00");
  ASSERT_EQ(rc(live->authorize(0, reversal_of(first, 4), sink)), "00");
  const OwnerView v = live->read_user(u1, time_ms_min);
  EXPECT_EQ(v.limits[0].current.total, 80000);   // the day in progress, its 50,000 kept
  EXPECT_EQ(v.limits[1].current.total, 80000);   // the month: 90,000 released

  auto replayed = make_core(rules_accounts);
  ASSERT_TRUE(replayed);
  for (const Event& e : sink.events) replayed->apply(e);
  EXPECT_EQ(replayed->dump_state(), live->dump_state());
  const OwnerView r = replayed->read_user(u1, time_ms_min);
  EXPECT_EQ(r.limits[0].current.total, 80000);
  EXPECT_EQ(r.limits[1].current.total, 80000);
}

TEST(Replay, AppliesRecordedDeltasEvenWhereADecisionNowWouldDiffer) {
  auto live = make_core(rules_accounts);
  RecordingSink sink;
  ASSERT_EQ(rc(live->authorize(0, request(pan_c1, 90000, 1), sink)), "00");
  // The replaying core has a tighter limit: replay must not re-decide.
  auto replayed = make_core(rules_accounts);
  LimitList tight;
  tight.items[tight.count++] = Limit{{PeriodKind::daily, 1, 1, 0}, 10};
  NullSink none;
  ASSERT_EQ(replayed->set_limits(0, LimitOwner::user, replayed->find_user("u1"), tight, none, nullptr), OpStatus::ok);
  for (const Event& e : sink.events) replayed->apply(e);
  EXPECT_EQ(replayed->read_user(replayed->find_user("u1"), time_ms_min).open_holds, 90000);
}

}  // namespace
}  // namespace authswitch::core::testing
