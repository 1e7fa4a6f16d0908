// The transaction table's retention: which entries a claim may reuse, and
// that a long run far beyond the table's capacity keeps deciding while a
// duplicate inside the window still gets its stored answer.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/core/accounts_text.h"
#include "tests/core/core_fixture.h"

namespace authswitch::core::testing {
namespace {

constexpr TimeMs minute = ms_per_minute;
constexpr TimeMs hour = 60 * minute;
constexpr TimeMs day = ms_per_day;
constexpr TimeMs t0 = t_noon_tokyo;
constexpr TimeMs window = constants::txn_duplicate_window_ms;

TxnKey key(std::uint32_t n) { return make_txn_key(1, 123456, 1123030000, n); }
TxnContent content(std::uint32_t n) { return TxnContent{Pan{4000000000000000ull + n, 16}, 0, n, 392, true}; }

// One bucket (7 entries): every claim's window is the whole table.
struct Aged {
  TxnState state;
  EffectKind effect;
  std::int64_t remaining;
  TimeMs age;  // before the new claim's time
};
struct EvictionCase {
  const char* name;
  Aged entry;  // all 7 entries are like this
  bool reused;
  TxnTable::FullReason why;
};

class Eviction : public ::testing::TestWithParam<EvictionCase> {};

TEST_P(Eviction, ReusesOnlyWhatMayGo) {
  const EvictionCase& c = GetParam();
  TxnTable table(8);
  ASSERT_EQ(table.capacity(), 7u);
  const TimeMs now = t0 + 30 * day;
  for (std::uint32_t n = 1; n <= 7; ++n) {
    const TimeMs t = now - c.entry.age;
    const TxnState claim_state = c.entry.state == TxnState::remembered ? TxnState::remembered : TxnState::pending;
    const TxnTable::Result r = table.find_or_claim(key(n), content(n), claim_state, t);
    ASSERT_EQ(r.outcome, TxnTable::Outcome::claimed);
    r.entry->effect_kind = static_cast<std::uint8_t>(c.entry.effect);
    r.entry->remaining = c.entry.remaining;
    r.entry->state = static_cast<std::uint32_t>(c.entry.state);
  }
  const TxnTable::Result r = table.find_or_claim(key(100), content(100), TxnState::pending, now);
  if (c.reused) {
    ASSERT_EQ(r.outcome, TxnTable::Outcome::claimed);
    EXPECT_TRUE(r.reused);
    EXPECT_EQ(r.entry->key_lo, key(100).lo);
    EXPECT_EQ(r.entry->state, static_cast<std::uint32_t>(TxnState::pending));
    EXPECT_EQ(r.entry->effect_kind, 0);  // nothing of the old entry left
    EXPECT_EQ(r.entry->remaining, 0);
    EXPECT_EQ(r.entry->content(), content(100));
    EXPECT_EQ(table.used(), 7u);
    // The new key is found; exactly one of the old ones is gone.
    EXPECT_EQ(table.find(key(100)), r.entry);
    int gone = 0;
    for (std::uint32_t n = 1; n <= 7; ++n) gone += table.find(key(n)) == nullptr ? 1 : 0;
    EXPECT_EQ(gone, 1);
  } else {
    EXPECT_EQ(r.outcome, TxnTable::Outcome::full);
    EXPECT_EQ(r.entry, nullptr);
    EXPECT_EQ(r.why, c.why);
    for (std::uint32_t n = 1; n <= 7; ++n) EXPECT_NE(table.find(key(n)), nullptr);
  }
  // An old key still present is found, never claimed again (found beats reuse).
  for (std::uint32_t n = 1; n <= 7; ++n) {
    const TxnEntry* e = table.find(key(n));
    if (e == nullptr) continue;
    const TxnTable::Result again = table.find_or_claim(key(n), content(n), TxnState::pending, now);
    EXPECT_EQ(again.outcome, TxnTable::Outcome::found);
    EXPECT_EQ(again.entry, e);
  }
}

using S = TxnState;
using E = EffectKind;
using W = TxnTable::FullReason;
INSTANTIATE_TEST_SUITE_P(
    Cases, Eviction,
    ::testing::Values(
        EvictionCase{"decline_inside_window", {S::final, E::none, 0, window - 2 * minute}, false, W::window},
        EvictionCase{"decline_past_window", {S::final, E::none, 0, window + minute}, true, W::none},
        EvictionCase{"posted_past_window", {S::final, E::posted, 500, window + minute}, true, W::none},
        EvictionCase{"hold_fully_reversed_past_window", {S::final, E::hold, 0, window + minute}, true, W::none},
        EvictionCase{"open_hold_past_window", {S::final, E::hold, 500, 2 * hour}, false, W::holds},
        EvictionCase{"open_hold_six_days", {S::final, E::hold, 500, 6 * day}, false, W::holds},
        EvictionCase{"open_hold_hold_days_within_grace", {S::final, E::hold, 500, 7 * day + 2 * minute}, false, W::holds},
        EvictionCase{"open_hold_past_hold_days_and_grace", {S::final, E::hold, 500, 8 * day + 2 * minute}, true, W::none},
        EvictionCase{"remembered_two_hours", {S::remembered, E::none, 0, 2 * hour}, false, W::holds},
        EvictionCase{"remembered_past_hold_days_and_grace", {S::remembered, E::none, 0, 8 * day + 2 * minute}, true, W::none},
        EvictionCase{"pending_never", {S::pending, E::none, 0, 30 * day}, false, W::window},
        EvictionCase{"taking_never", {S::taking, E::none, 0, 30 * day}, false, W::window},
        EvictionCase{"pinned_never", {S::pinned, E::hold, 0, 30 * day}, false, W::window},
        EvictionCase{"clock_behind_never", {S::final, E::none, 0, -2 * hour}, false, W::window}),
    [](const ::testing::TestParamInfo<EvictionCase>& i) { return std::string(i.param.name); });

TEST(Retention, ConfiguredWindowAndHoldDays) {
  TxnTable table(8, TxnRetention{10 * minute, 1 * day});
  for (std::uint32_t n = 1; n <= 7; ++n) {
    TxnTable::Result r = table.find_or_claim(key(n), content(n), TxnState::pending, t0);
    r.entry->state = static_cast<std::uint32_t>(TxnState::final);
    if (n != 7) {
      r.entry->effect_kind = static_cast<std::uint8_t>(EffectKind::hold);
      r.entry->remaining = 1;
    }
  }
  EXPECT_EQ(table.find_or_claim(key(8), content(8), TxnState::pending, t0 + 9 * minute).outcome,
            TxnTable::Outcome::full);
  const TxnTable::Result r = table.find_or_claim(key(8), content(8), TxnState::pending, t0 + 12 * minute);
  ASSERT_EQ(r.outcome, TxnTable::Outcome::claimed);  // the one without a hold
  EXPECT_EQ(table.find(key(7)), nullptr);
  EXPECT_EQ(table.find_or_claim(key(9), content(9), TxnState::pending, t0 + 2 * hour).why, TxnTable::FullReason::holds);
  EXPECT_EQ(table.find_or_claim(key(9), content(9), TxnState::pending, t0 + day + 2 * minute).outcome,
            TxnTable::Outcome::claimed);
}

// Of the slots that may go, the claim takes the oldest; an older one kept
// for its open hold is passed over.
TEST(Retention, ReusesTheOldestThatMayGo) {
  // Two buckets: every key's window is the whole table, both lines.
  TxnTable table(16);
  ASSERT_EQ(table.capacity(), 14u);
  const TimeMs now = t0 + 30 * day;
  auto age_of = [](std::uint32_t n) {
    if (n == 5) return 3 * day;   // the oldest: an open hold, kept (hold_days 7)
    if (n == 11) return 2 * day;  // the oldest that may go
    return window + static_cast<TimeMs>(n) * hour;
  };
  for (std::uint32_t n = 1; n <= 14; ++n) {
    const TxnTable::Result r = table.find_or_claim(key(n), content(n), TxnState::pending, now - age_of(n));
    ASSERT_EQ(r.outcome, TxnTable::Outcome::claimed);
    r.entry->state = static_cast<std::uint32_t>(TxnState::final);
    if (n == 5) {
      r.entry->effect_kind = static_cast<std::uint8_t>(EffectKind::hold);
      r.entry->remaining = 500;
    }
  }
  const TxnTable::Result r = table.find_or_claim(key(100), content(100), TxnState::pending, now);
  ASSERT_EQ(r.outcome, TxnTable::Outcome::claimed);
  EXPECT_TRUE(r.reused);
  EXPECT_EQ(table.find(key(11)), nullptr);
  for (std::uint32_t n = 1; n <= 14; ++n) {
    if (n != 11) {
      EXPECT_NE(table.find(key(n)), nullptr) << n;
    }
  }
  // Then the next oldest that may go (key 14), never the hold.
  ASSERT_EQ(table.find_or_claim(key(101), content(101), TxnState::pending, now).outcome, TxnTable::Outcome::claimed);
  EXPECT_EQ(table.find(key(14)), nullptr);
  EXPECT_NE(table.find(key(5)), nullptr);
}

// An entry's age counts from the end of its minute: it may go exactly one
// duplicate window after that, not a millisecond sooner.
TEST(Retention, DuplicateWindowBoundaryToTheMillisecond) {
  const TimeMs claimed_at = t0 + 30'000;  // its minute ends at t0 + 1 minute
  for (const TimeMs now : {t0 + minute + window - 1, t0 + minute + window}) {
    TxnTable table(8);
    for (std::uint32_t n = 1; n <= 7; ++n) {
      const TxnTable::Result r = table.find_or_claim(key(n), content(n), TxnState::pending, claimed_at);
      r.entry->state = static_cast<std::uint32_t>(TxnState::final);
    }
    const TxnTable::Result r = table.find_or_claim(key(100), content(100), TxnState::pending, now);
    EXPECT_EQ(r.outcome, now == t0 + minute + window ? TxnTable::Outcome::claimed : TxnTable::Outcome::full);
  }
}

// A snapshot load writes bodies only; the tags come back from them.
TEST(Retention, RebuiltIndexFindsEveryKey) {
  TxnTable table(64);
  std::vector<TxnEntry> saved(table.capacity());
  for (std::uint32_t n = 1; n <= 40; ++n) {
    ASSERT_EQ(table.find_or_claim(key(n), content(n), TxnState::pending, t0 + n * minute).outcome,
              TxnTable::Outcome::claimed);
  }
  for (std::size_t i = 0; i < table.capacity(); ++i) saved[i] = table.entries()[i];
  TxnTable copy(64);
  for (std::size_t i = 0; i < table.capacity(); ++i) copy.entries()[i] = saved[i];
  copy.rebuild_index();
  for (std::uint32_t n = 1; n <= 40; ++n) {
    const TxnEntry* e = copy.find(key(n));
    ASSERT_NE(e, nullptr) << n;
    EXPECT_EQ(e->content(), content(n));
  }
  EXPECT_EQ(copy.find(key(41)), nullptr);
  EXPECT_EQ(copy.used(), 40u);
}

// ---- through the core ---------------------------------------------------------

AuthRequest at(AuthRequest r, TimeMs t) {
  r.txn_time_ms = t;
  return r;
}

// 20 times the table's capacity of postings and inquiries (no hold), 1.5 s
// apart: the 10-minute window is 400 requests, far fewer than the 3,584
// entries, so slots are always reusable. Every request must be decided (never
// 91) and a repeat from 5 minutes earlier must get its stored answer.
TEST(Retention, LongRunFarBeyondCapacityKeepsApproving) {
  auto core = make_core(rules_accounts, "Asia/Tokyo", 1, 1u << 12);
  ASSERT_NE(core, nullptr);
  const std::size_t capacity = core->transactions().capacity();
  ASSERT_EQ(capacity, 3584u);
  NullSink sink;
  ASSERT_EQ(core->adjust_balance(0, core->find_user("u3"), 1'000'000'000, "top", 1, sink).status, OpStatus::ok);
  const std::size_t n = 20 * capacity;
  std::vector<AuthResponse> answers(n);
  auto req = [&](std::size_t i) {
    AuthRequest r = request(pan_c3, 1, static_cast<std::uint32_t>(i % 1'000'000), MtiClass::financial);
    r.field7 = 1123030000 + static_cast<std::uint32_t>(i / 1'000'000);
    if (i % 5 == 0) {  // some balance inquiries
      r.processing_code = 300000;
      r.amount = 0;
    }
    return at(r, t0 + static_cast<TimeMs>(i) * 1500);
  };
  std::size_t repeats = 0;
  for (std::size_t i = 0; i < n; ++i) {
    answers[i] = core->authorize(0, req(i), sink);
    ASSERT_EQ(rc(answers[i]), "00") << "request " << i;
    ASSERT_FALSE(answers[i].duplicate) << i;
    if (i >= 200 && i % 97 == 0) {
      // A retransmission of the request of 5 minutes ago (200 x 1.5 s),
      // arriving now.
      const std::size_t j = i - 200;
      const AuthResponse again = core->authorize(0, at(req(j), t0 + static_cast<TimeMs>(i) * 1500), sink);
      ASSERT_TRUE(again.duplicate) << j;
      EXPECT_EQ(rc(again), "00");
      EXPECT_EQ(again.approval(), answers[j].approval()) << j;
      EXPECT_EQ(again.has_available, answers[j].has_available);
      EXPECT_EQ(again.available, answers[j].available);
      ++repeats;
    }
  }
  EXPECT_GT(repeats, 700u);
  const TxnStats stats = core->txn_stats();
  EXPECT_EQ(stats.full(), 0u);
  EXPECT_GE(stats.reused, n - capacity);
  EXPECT_EQ(core->transactions().used(), capacity);
}

// Open holds are kept for hold_days (and a day): a full table of young holds answers 91
// (counted as holds); past hold_days a hold's entry is reused, and the hold
// itself is NOT released (that is expiry's and clearing's job).
TEST(Retention, OpenHoldsKeptForHoldDaysThenForgottenNotReleased) {
  auto core = make_core(rules_accounts, "Asia/Tokyo", 1, 8);
  NullSink sink;
  for (std::uint32_t s = 1; s <= 7; ++s) {
    ASSERT_EQ(rc(core->authorize(0, at(request(pan_c3, 10, s), t0 + s * hour), sink)), "00");
  }
  const std::int64_t available = core->available_balance(core->find_user("u3"));
  EXPECT_EQ(available, 930);
  EXPECT_EQ(rc(core->authorize(0, at(request(pan_c3, 10, 8), t0 + 2 * day), sink)), "91");
  EXPECT_EQ(core->txn_stats().full_holds, 1u);
  // hold_days (7) and the day's grace after the first hold's minute ended:
  // that one entry goes.
  const AuthResponse late = core->authorize(0, at(request(pan_c3, 10, 9), t0 + hour + 8 * day + minute), sink);
  EXPECT_EQ(rc(late), "00");
  EXPECT_EQ(core->txn_stats().reused, 1u);
  EXPECT_EQ(core->available_balance(core->find_user("u3")), 920);  // the old hold still held
  // The forgotten hold's reversal finds no original now (its own key takes
  // the slot of the second hold, past hold_days too); nothing is released.
  const AuthResponse rev =
      core->authorize(0, at(reversal_of(request(pan_c3, 10, 1), 50), t0 + 8 * day + 3 * hour), sink);
  EXPECT_EQ(rc(rev), "25");
  EXPECT_EQ(core->available_balance(core->find_user("u3")), 920);
}

// Replay may keep other entries than the live run did (the table reuses
// slots; two shards' claims are logged in another order than they happened).
// Replaying into a far smaller table, where most records cannot be kept, must
// still rebuild the same balances and holds, not stop on a missing entry.
TEST(Retention, ReplayWithoutRoomForTheRecordsKeepsTheTotals) {
  auto live = make_core(rules_accounts, "Asia/Tokyo", 1, 64);
  RecordingSink sink;
  for (std::uint32_t i = 0; i < 30; ++i) {
    const AuthRequest hold = at(request(pan_c3, 10, i + 1), t0 + i * hour);
    ASSERT_EQ(rc(live->authorize(0, hold, sink)), "00") << i;
    if (i % 3 == 0) {
      ASSERT_EQ(rc(live->authorize(0, at(reversal_of(hold, 1000 + i), t0 + i * hour + minute), sink)), "00") << i;
    }
  }
  const std::size_t expired = live->expire_holds(0, t0 + 8 * day, 7 * day, sink);
  EXPECT_GT(expired, 0u);
  auto replayed = make_core(rules_accounts, "Asia/Tokyo", 1, 8);
  for (const Event& e : sink.events) replayed->apply(e);
  const std::uint32_t u3 = live->find_user("u3");
  const OwnerView a = live->read_user(u3, time_ms_min), b = replayed->read_user(u3, time_ms_min);
  EXPECT_EQ(b.balance, a.balance);
  EXPECT_EQ(b.open_holds, a.open_holds);
  EXPECT_EQ(replayed->approvals_issued(0), live->approvals_issued(0));
}

}  // namespace
}  // namespace authswitch::core::testing
