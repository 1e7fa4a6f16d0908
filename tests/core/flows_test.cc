// SPEC 2's message flows: holds, postings, advices, reversals (full, partial,
// repeated, before their original, in a past period), and the operator
// operations (top-ups, limits, card status, new cards).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "tests/core/accounts_text.h"
#include "tests/core/core_fixture.h"

namespace authswitch::core::testing {
namespace {

constexpr TimeMs ms_per_hour = 3'600'000;

class Flows : public ::testing::Test {
 protected:
  void SetUp() override {
    core = make_core(rules_accounts);
    ASSERT_TRUE(core);
    u1 = core->find_user("u1");
    u3 = core->find_user("u3");
    acme = core->find_company("acme");
  }
  AuthResponse send(const AuthRequest& r) { return core->authorize(0, r, sink); }
  // An 0100 of `usd` cents billed `jpy` yen (field 6), then its partial
  // reversal to `actual_usd` cents (field 95), both answered 00.
  void send_converted_then_partial(std::int64_t usd, std::int64_t jpy, std::int64_t actual_usd, std::uint32_t stan) {
    AuthRequest orig = request(pan_c1, usd, stan);
    orig.currency = 840;
    orig.present |= AuthRequest::f6;
    orig.billing_amount = jpy;
    ASSERT_EQ(rc(send(orig)), "00");
    AuthRequest rev = reversal_of(orig, stan + 1);
    rev.present |= AuthRequest::f95;
    rev.actual_amount = actual_usd;
    ASSERT_EQ(rc(send(rev)), "00");
  }
  std::int64_t daily_total(std::uint32_t user) {
    const OwnerView v = core->read_user(user, time_ms_min);
    return v.limits[1].current.total;  // [0] transaction, [1] daily, [2] monthly
  }
  std::int64_t monthly_total(std::uint32_t user) { return core->read_user(user, time_ms_min).limits[2].current.total; }
  std::int64_t company_daily() { return core->read_company(acme, time_ms_min).limits[0].current.total; }

  std::unique_ptr<Core> core;
  RecordingSink sink;
  std::uint32_t u1 = 0, u3 = 0, acme = 0;
};

TEST_F(Flows, AuthorizationPlacesAHoldAndMovesEveryTotal) {
  ASSERT_EQ(rc(send(request(pan_c1, 30000, 1))), "00");
  const OwnerView v = core->read_user(u1, time_ms_min);
  EXPECT_EQ(v.balance, 500000);
  EXPECT_EQ(v.open_holds, 30000);
  EXPECT_EQ(daily_total(u1), 30000);
  EXPECT_EQ(monthly_total(u1), 30000);
  EXPECT_EQ(company_daily(), 30000);
}

TEST_F(Flows, FinancialRequestPostsAtOnceWithoutAHold) {
  ASSERT_EQ(rc(send(request(pan_c1, 30000, 1, MtiClass::financial))), "00");
  const OwnerView v = core->read_user(u1, time_ms_min);
  EXPECT_EQ(v.balance, 470000);
  EXPECT_EQ(v.open_holds, 0);
  EXPECT_EQ(daily_total(u1), 30000);
}

TEST_F(Flows, AdviceIsAppliedPastEveryLimit) {
  ASSERT_EQ(rc(send(request(pan_c3, 5000, 1, MtiClass::advice))), "00");
  EXPECT_EQ(core->available_balance(u3), -4000);
}

// As an 0100 in another currency than the card's without field 6 would be
// declined 05, the advice applies nothing: there is no amount in the card's
// currency to apply. Still 00: the network has approved.
TEST_F(Flows, AdviceInAnotherCurrencyWithoutBillingAmountIsAnsweredAndAppliesNothing) {
  AuthRequest usd = request(pan_c1, 10000, 1, MtiClass::advice);
  usd.currency = 840;
  const AuthResponse r = send(usd);
  EXPECT_EQ(rc(r), "00");
  EXPECT_EQ(core->read_user(u1, time_ms_min).open_holds, 0);
  EXPECT_EQ(daily_total(u1), 0);
  EXPECT_EQ(company_daily(), 0);
  // With field 6, the billing amount is applied.
  usd.stan = 2;
  usd.present |= AuthRequest::f6;
  usd.billing_amount = 15000;
  ASSERT_EQ(rc(send(usd)), "00");
  EXPECT_EQ(core->read_user(u1, time_ms_min).open_holds, 15000);
  EXPECT_EQ(daily_total(u1), 15000);
}

TEST_F(Flows, ReversalReleasesTheHoldAndTheTotals) {
  const AuthRequest orig = request(pan_c1, 30000, 1);
  ASSERT_EQ(rc(send(orig)), "00");
  const AuthResponse r = send(reversal_of(orig, 2));
  EXPECT_EQ(rc(r), "00");
  EXPECT_FALSE(r.has_approval_code);
  EXPECT_EQ(core->read_user(u1, time_ms_min).open_holds, 0);
  EXPECT_EQ(daily_total(u1), 0);
  EXPECT_EQ(company_daily(), 0);
}

TEST_F(Flows, ReversalWithoutField90FindsTheOriginalByItsOwnKeyFields) {
  const AuthRequest orig = request(pan_c1, 30000, 1);
  ASSERT_EQ(rc(send(orig)), "00");
  AuthRequest rev = orig;
  rev.mti_class = MtiClass::reversal;  // same 32, 11, 7; no field 90
  EXPECT_EQ(rc(send(rev)), "00");
  EXPECT_EQ(core->read_user(u1, time_ms_min).open_holds, 0);
}

TEST_F(Flows, ReversalOfAFinancialRequestCreditsTheBalanceBack) {
  const AuthRequest orig = request(pan_c1, 30000, 1, MtiClass::financial);
  ASSERT_EQ(rc(send(orig)), "00");
  ASSERT_EQ(rc(send(reversal_of(orig, 2))), "00");
  EXPECT_EQ(core->read_user(u1, time_ms_min).balance, 500000);
  EXPECT_EQ(daily_total(u1), 0);
}

TEST_F(Flows, PartialReversalReleasesOnlyTheDifference) {
  const AuthRequest orig = request(pan_c1, 30000, 1);
  ASSERT_EQ(rc(send(orig)), "00");
  AuthRequest rev = reversal_of(orig, 2);
  rev.present |= AuthRequest::f95;
  rev.actual_amount = 12000;
  ASSERT_EQ(rc(send(rev)), "00");
  EXPECT_EQ(core->read_user(u1, time_ms_min).open_holds, 12000);
  EXPECT_EQ(daily_total(u1), 12000);
}

// Field 95 is in the transaction currency (it replaces field 4); the hold is
// in the card's (field 6). The actual amount is converted at the original's
// rate, rounded so that what stays held covers it.
TEST_F(Flows, PartialReversalOfAConvertedOriginalReleasesInTheCardsCurrency) {
  send_converted_then_partial(10000, 15000, 4000, 1);  // USD 40.00 of 100.00: JPY 6,000 stays held
  EXPECT_EQ(core->read_user(u1, time_ms_min).open_holds, 6000);
  EXPECT_EQ(daily_total(u1), 6000);
  EXPECT_EQ(company_daily(), 6000);
  send_converted_then_partial(10000, 15001, 3333, 3);  // JPY 4,999.83: 5,000 stays held
  EXPECT_EQ(core->read_user(u1, time_ms_min).open_holds, 6000 + 5000);
}

TEST_F(Flows, SecondReversalReleasesNothingMore) {
  const AuthRequest orig = request(pan_c1, 30000, 1);
  ASSERT_EQ(rc(send(orig)), "00");
  AuthRequest partial = reversal_of(orig, 2);
  partial.present |= AuthRequest::f95;
  partial.actual_amount = 10000;
  ASSERT_EQ(rc(send(partial)), "00");
  ASSERT_EQ(rc(send(reversal_of(orig, 3))), "00");
  ASSERT_EQ(rc(send(reversal_of(orig, 4, MtiClass::reversal_advice))), "00");
  EXPECT_EQ(core->read_user(u1, time_ms_min).open_holds, 10000);
  EXPECT_EQ(daily_total(u1), 10000);
}

TEST_F(Flows, RetransmittedReversalGetsItsStoredAnswer) {
  const AuthRequest orig = request(pan_c1, 30000, 1);
  ASSERT_EQ(rc(send(orig)), "00");
  const AuthRequest rev = reversal_of(orig, 2);
  ASSERT_EQ(rc(send(rev)), "00");
  const AuthResponse again = send(rev);
  EXPECT_EQ(rc(again), "00");
  EXPECT_TRUE(again.duplicate);
  AuthRequest other = rev;
  other.amount = 1;
  EXPECT_EQ(rc(send(other)), "94");
}

TEST_F(Flows, ReversalBeforeItsOriginalIsRememberedAndTheOriginalDeclined) {
  const AuthRequest orig = request(pan_c1, 30000, 1);
  const AuthResponse r = send(reversal_of(orig, 2));
  EXPECT_EQ(rc(r), "25");
  EXPECT_EQ(reason(r), "ORIGINAL NOT FOUND");
  const AuthResponse late = send(orig);
  EXPECT_EQ(rc(late), "05");
  EXPECT_EQ(reason(late), "REVERSED");
  EXPECT_EQ(core->read_user(u1, time_ms_min).open_holds, 0);
  EXPECT_EQ(daily_total(u1), 0);
  // Its retransmission gets the same stored answer.
  EXPECT_EQ(rc(send(orig)), "05");
}

TEST_F(Flows, ReversalAdviceOfAnUnknownOriginalIs00AndRemembered) {
  const AuthRequest orig = request(pan_c1, 30000, 1);
  EXPECT_EQ(rc(send(reversal_of(orig, 2, MtiClass::reversal_advice))), "00");
  EXPECT_EQ(rc(send(orig)), "05");
}

TEST_F(Flows, ReversalAdviceReleasesTheHold) {
  const AuthRequest orig = request(pan_c1, 30000, 1);
  ASSERT_EQ(rc(send(orig)), "00");
  EXPECT_EQ(rc(send(reversal_of(orig, 2, MtiClass::reversal_advice))), "00");
  EXPECT_EQ(core->read_user(u1, time_ms_min).open_holds, 0);
}

TEST_F(Flows, ReversalWithAnotherPanDoesNotMatch) {
  const AuthRequest orig = request(pan_c1, 30000, 1);
  ASSERT_EQ(rc(send(orig)), "00");
  AuthRequest rev = reversal_of(orig, 2);
  rev.set_pan(pan_nov);
  EXPECT_EQ(rc(send(rev)), "25");
  EXPECT_EQ(core->read_user(u1, time_ms_min).open_holds, 30000);
}

TEST_F(Flows, ReversalInALaterPeriodChangesOnlyPeriodsStillInTheWindow) {
  const AuthRequest day1 = request(pan_c1, 30000, 1);
  ASSERT_EQ(rc(send(day1)), "00");
  // Two days later: the daily window slides past day 1; the month stays.
  ASSERT_EQ(rc(send(request(pan_c1, 5000, 2, MtiClass::authorization, t_noon_tokyo + 2 * ms_per_day))), "00");
  ASSERT_EQ(rc(send(reversal_of(day1, 3))), "00");
  // Day 1 is past (the window is now day 2, day 3): only recorded.
  const OwnerView v = core->read_user(u1, time_ms_min);
  EXPECT_EQ(v.limits[1].current.total, 0);
  EXPECT_EQ(v.limits[1].next.total, 5000);
  EXPECT_EQ(monthly_total(u1), 5000);  // still current: released
  EXPECT_EQ(v.open_holds, 5000);
}

TEST_F(Flows, ReversalInTheNextPeriodStillReleases) {
  const AuthRequest day1 = request(pan_c1, 30000, 1);
  ASSERT_EQ(rc(send(day1)), "00");
  ASSERT_EQ(rc(send(request(pan_c1, 5000, 2, MtiClass::authorization, t_noon_tokyo + ms_per_day))), "00");
  ASSERT_EQ(rc(send(reversal_of(day1, 3))), "00");
  const OwnerView v = core->read_user(u1, time_ms_min);
  EXPECT_EQ(v.limits[1].current.total, 0);  // day 1 is current, day 2 next
  EXPECT_EQ(v.limits[1].next.total, 5000);
}

TEST_F(Flows, ReadingPresentsPeriodsAsOfNow) {
  ASSERT_EQ(rc(send(request(pan_c1, 12000, 1))), "00");
  OwnerView v = core->read_user(u1, t_noon_tokyo);
  ASSERT_EQ(v.limit_count, 3);
  EXPECT_EQ(v.limits[0].limit.spec.kind, PeriodKind::transaction);
  EXPECT_EQ(format_rfc3339(v.limits[1].current.start, core->config().zone), "2026-11-23T00:00:00+09:00");
  EXPECT_EQ(format_rfc3339(v.limits[1].current.end, core->config().zone), "2026-11-24T00:00:00+09:00");
  EXPECT_EQ(v.limits[1].current.total, 12000);
  EXPECT_EQ(format_rfc3339(v.limits[1].next.end, core->config().zone), "2026-11-25T00:00:00+09:00");
  EXPECT_EQ(v.limits[1].next.total, 0);
  EXPECT_EQ(format_rfc3339(v.limits[2].current.start, core->config().zone), "2026-11-20T00:00:00+09:00");
  // A day later, with nothing new: the new day shows as current, total 0.
  v = core->read_user(u1, t_noon_tokyo + ms_per_day);
  EXPECT_EQ(format_rfc3339(v.limits[1].current.start, core->config().zone), "2026-11-24T00:00:00+09:00");
  EXPECT_EQ(v.limits[1].current.total, 0);
  EXPECT_EQ(v.limits[2].current.total, 12000);
}

TEST_F(Flows, TopUpIsIdempotentByKeyAndBody) {
  const BalanceResult first = core->adjust_balance(0, u3, 5000, "key-1", 42, sink);
  EXPECT_EQ(first.status, OpStatus::ok);
  EXPECT_EQ(first.balance_after, 6000);
  const BalanceResult again = core->adjust_balance(0, u3, 5000, "key-1", 42, sink);
  EXPECT_EQ(again.status, OpStatus::replayed);
  EXPECT_EQ(again.balance_after, 6000);
  EXPECT_EQ(core->adjust_balance(0, u3, 7000, "key-1", 43, sink).status, OpStatus::conflict);
  EXPECT_EQ(core->adjust_balance(0, u3, -500, "key-2", 44, sink).balance_after, 5500);
  EXPECT_EQ(core->adjust_balance(0, core->find_user("u2"), 5, "k", 1, sink).status, OpStatus::no_balance);
  EXPECT_EQ(core->available_balance(u3), 5500);
}

// A top-up whose balance after would leave the int64 range of minor units
// is refused and changes nothing (it wrapped before: undefined behaviour).
TEST_F(Flows, TopUpPastTheRangeOfMinorUnitsIsRefused) {
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t min = std::numeric_limits<std::int64_t>::min();
  ASSERT_EQ(core->adjust_balance(0, u3, max - 1000, "to-the-top", 1, sink).balance_after, max);
  EXPECT_EQ(core->adjust_balance(0, u3, 1, "one-more", 2, sink).status, OpStatus::out_of_range);
  EXPECT_EQ(core->available_balance(u3), max);
  // The refused key was not stored: the same key with a fitting amount goes through.
  EXPECT_EQ(core->adjust_balance(0, u3, -1, "one-more", 3, sink).balance_after, max - 1);
  ASSERT_EQ(core->adjust_balance(0, u3, -(max - 1), "down", 4, sink).balance_after, 0);
  ASSERT_EQ(core->adjust_balance(0, u3, min, "to-the-bottom", 5, sink).balance_after, min);
  EXPECT_EQ(core->adjust_balance(0, u3, -1, "one-less", 6, sink).status, OpStatus::out_of_range);
  EXPECT_EQ(core->available_balance(u3), min);
}

TEST_F(Flows, ChangingALimitKeepsItsTotals) {
  ASSERT_EQ(rc(send(request(pan_c1, 90000, 1))), "00");
  LimitList l;
  l.items[l.count++] = Limit{{PeriodKind::daily, 1, 1, 0}, 95000};
  l.items[l.count++] = Limit{{PeriodKind::weekly, 1, 1, 0}, 1000};  // new: starts at zero
  std::string err;
  ASSERT_EQ(core->set_limits(0, LimitOwner::user, u1, l, sink, &err), OpStatus::ok) << err;
  const OwnerView v = core->read_user(u1, time_ms_min);
  ASSERT_EQ(v.limit_count, 2);
  EXPECT_EQ(v.limits[0].limit.max, 95000);
  EXPECT_EQ(v.limits[0].current.total, 90000);
  EXPECT_EQ(v.limits[1].current.total, 0);
  const AuthResponse r = send(request(pan_c1, 1001, 2));
  EXPECT_EQ(reason(r), "USER:WEEKLY");
  // Unset everything: only the company's limits remain.
  ASSERT_EQ(core->set_limits(0, LimitOwner::user, u1, LimitList{}, sink, &err), OpStatus::ok);
  EXPECT_EQ(rc(send(request(pan_c1, 150000, 3))), "00");
}

// u1's limits as loaded, with the daily reset at `daily_reset_minutes` and the
// monthly anchor on `monthly_anchor_day`.
LimitList u1_limits_reshaped(std::uint16_t daily_reset_minutes, std::uint8_t monthly_anchor_day) {
  LimitList l;
  l.items[l.count++] = Limit{{PeriodKind::transaction, 1, 1, 0}, 100000};
  l.items[l.count++] = Limit{{PeriodKind::daily, 1, 1, daily_reset_minutes}, 200000};
  l.items[l.count++] = Limit{{PeriodKind::monthly, 1, monthly_anchor_day, 0}, 1000000};
  return l;
}

TEST_F(Flows, ChangingAResetTimeKeepsTheTotalOfTheDayInProgress) {
  ASSERT_EQ(rc(send(request(pan_c1, 90000, 1))), "00");
  ASSERT_EQ(rc(send(request(pan_c1, 90000, 2))), "00");
  std::string err;
  ASSERT_EQ(core->set_limits(0, LimitOwner::user, u1, u1_limits_reshaped(4 * 60, 1), sink, &err), OpStatus::ok)
      << err;
  // Today's 180,000 still counts today: 30,000 more would pass 200,000.
  EXPECT_EQ(reason(send(request(pan_c1, 30000, 3))), "USER:DAILY");
  const Zone& zone = core->config().zone;
  const OwnerView v = core->read_user(u1, t_noon_tokyo);
  EXPECT_EQ(v.limits[1].current.total, 180000);
  EXPECT_EQ(format_rfc3339(v.limits[1].current.start, zone), "2026-11-23T00:00:00+09:00");
  // The new reset time starts where today ends.
  EXPECT_EQ(format_rfc3339(v.limits[1].next.start, zone), "2026-11-24T00:00:00+09:00");
  EXPECT_EQ(format_rfc3339(v.limits[1].next.end, zone), "2026-11-24T04:00:00+09:00");
  EXPECT_EQ(v.limits[2].current.total, 180000);
  EXPECT_EQ(format_rfc3339(v.limits[2].current.start, zone), "2026-11-20T00:00:00+09:00");
  EXPECT_EQ(format_rfc3339(v.limits[2].next.end, zone), "2027-01-01T00:00:00+09:00");
  // From 04:00 on the 24th, days run from 04:00 to 04:00, each from zero.
  const TimeMs t_0500_next_day = t_noon_tokyo + 17 * ms_per_hour;
  ASSERT_EQ(rc(send(request(pan_c1, 100000, 4, MtiClass::authorization, t_0500_next_day))), "00");
  const OwnerView later = core->read_user(u1, t_0500_next_day);
  EXPECT_EQ(format_rfc3339(later.limits[1].current.start, zone), "2026-11-24T04:00:00+09:00");
  EXPECT_EQ(format_rfc3339(later.limits[1].current.end, zone), "2026-11-25T04:00:00+09:00");
  EXPECT_EQ(later.limits[1].current.total, 100000);
}

TEST_F(Flows, ChangingAResetTimeOnceTheNextDayHasBegunKeepsThatDaysTotal) {
  ASSERT_EQ(rc(send(request(pan_c1, 90000, 1))), "00");
  const TimeMs t_noon_next_day = t_noon_tokyo + ms_per_day;
  ASSERT_EQ(rc(send(request(pan_c1, 50000, 2, MtiClass::authorization, t_noon_next_day))), "00");
  std::string err;
  ASSERT_EQ(core->set_limits(0, LimitOwner::user, u1, u1_limits_reshaped(4 * 60, 20), sink, &err), OpStatus::ok)
      << err;
  const OwnerView v = core->read_user(u1, t_noon_next_day);
  EXPECT_EQ(format_rfc3339(v.limits[1].current.start, core->config().zone), "2026-11-24T00:00:00+09:00");
  EXPECT_EQ(v.limits[1].current.total, 50000);
  EXPECT_EQ(format_rfc3339(v.limits[1].next.end, core->config().zone), "2026-11-25T04:00:00+09:00");
  EXPECT_EQ(rc(send(request(pan_c1, 100000, 3, MtiClass::authorization, t_noon_next_day))), "00");
  EXPECT_EQ(reason(send(request(pan_c1, 50001, 4, MtiClass::authorization, t_noon_next_day))), "USER:DAILY");
}

TEST_F(Flows, AReversalAfterAResetTimeChangeStillReleasesItsTotal) {
  const AuthRequest orig = request(pan_c1, 90000, 1);
  ASSERT_EQ(rc(send(orig)), "00");
  ASSERT_EQ(rc(send(request(pan_c1, 30000, 2))), "00");
  std::string err;
  ASSERT_EQ(core->set_limits(0, LimitOwner::user, u1, u1_limits_reshaped(4 * 60, 1), sink, &err), OpStatus::ok)
      << err;
  ASSERT_EQ(rc(send(reversal_of(orig, 3))), "00");
  EXPECT_EQ(daily_total(u1), 30000);
  EXPECT_EQ(monthly_total(u1), 30000);
}

TEST_F(Flows, ALimitKeepsTheTotalsOfTheSameSpecBeforeThoseOfTheSameKind) {
  ASSERT_EQ(rc(send(request(pan_c1, 60000, 1))), "00");
  LimitList two;
  two.items[two.count++] = Limit{{PeriodKind::daily, 1, 1, 4 * 60}, 150000};  // new: from zero
  two.items[two.count++] = Limit{{PeriodKind::daily, 1, 1, 0}, 200000};
  std::string err;
  ASSERT_EQ(core->set_limits(0, LimitOwner::user, u1, two, sink, &err), OpStatus::ok) << err;
  ASSERT_EQ(rc(send(request(pan_c1, 90000, 2))), "00");
  // The first daily limit of the new list is the 00:00 one moved to 06:00,
  // not the 04:00 one, which is still there.
  LimitList reshaped;
  reshaped.items[reshaped.count++] = Limit{{PeriodKind::daily, 1, 1, 6 * 60}, 200000};
  reshaped.items[reshaped.count++] = Limit{{PeriodKind::daily, 1, 1, 4 * 60}, 150000};
  ASSERT_EQ(core->set_limits(0, LimitOwner::user, u1, reshaped, sink, &err), OpStatus::ok) << err;
  const OwnerView v = core->read_user(u1, time_ms_min);
  ASSERT_EQ(v.limit_count, 2);
  EXPECT_EQ(v.limits[0].current.total, 150000);
  EXPECT_EQ(format_rfc3339(v.limits[0].current.start, core->config().zone), "2026-11-23T00:00:00+09:00");
  EXPECT_EQ(v.limits[1].current.total, 90000);
  EXPECT_EQ(format_rfc3339(v.limits[1].current.start, core->config().zone), "2026-11-23T04:00:00+09:00");
}

TEST_F(Flows, InvalidLimitsAreRefusedAndChangeNothing) {
  LimitList l;
  l.items[l.count++] = Limit{{PeriodKind::daily, 1, 1, 0}, 1};
  l.items[l.count++] = Limit{{PeriodKind::daily, 1, 1, 0}, 2};
  std::string err;
  EXPECT_EQ(core->set_limits(0, LimitOwner::user, u1, l, sink, &err), OpStatus::invalid);
  EXPECT_FALSE(err.empty());
  EXPECT_EQ(core->read_user(u1, time_ms_min).limit_count, 3);
}

TEST_F(Flows, CardStatusTakesEffectForTheNextRequest) {
  ASSERT_EQ(core->set_card_status(core->find_card("c1"), CardStatus::stolen, sink), OpStatus::ok);
  EXPECT_EQ(rc(send(request(pan_c1, 100, 1))), "43");
  ASSERT_EQ(core->set_card_status(core->find_card("c1"), CardStatus::active, sink), OpStatus::ok);
  EXPECT_EQ(rc(send(request(pan_c1, 100, 2))), "00");
}

TEST_F(Flows, AddedCardIsAuthorizedAndDuplicatesRefused) {
  NewCard c{"new", *parse_pan("5500000000000004"), u3, 3001, CardStatus::active, 392};
  ASSERT_EQ(core->add_card(c, sink), OpStatus::ok);
  EXPECT_EQ(rc(send(request("5500000000000004", 100, 1))), "00");
  EXPECT_EQ(core->add_card(c, sink), OpStatus::duplicate);
  c.id = "other";
  EXPECT_EQ(core->add_card(c, sink), OpStatus::duplicate);  // same PAN
}

TEST_F(Flows, ExpiredHoldsAreReleased) {
  ASSERT_EQ(rc(send(request(pan_c1, 30000, 1))), "00");
  ASSERT_EQ(rc(send(request(pan_c1, 1000, 2, MtiClass::authorization, t_noon_tokyo + 6 * ms_per_day))), "00");
  EXPECT_EQ(core->expire_holds(0, t_noon_tokyo + 7 * ms_per_day, 7 * ms_per_day, sink), 1u);
  const OwnerView v = core->read_user(u1, time_ms_min);
  EXPECT_EQ(v.open_holds, 1000);
  EXPECT_EQ(v.limits[2].current.total, 1000);  // the month is still current
  EXPECT_EQ(core->expire_holds(0, t_noon_tokyo + 7 * ms_per_day, 7 * ms_per_day, sink), 0u);
}

// The switch walks the table a slice at a time, and stops a slice at the
// log's room: slices of any size, one expiry at most each, release exactly
// what one whole walk does, each hold once.
TEST_F(Flows, ExpiringHoldsInSlicesReleasesWhatOneWalkDoes) {
  for (std::uint32_t i = 0; i < 5; ++i) ASSERT_EQ(rc(send(request(pan_c1, 1000 + i, i + 1))), "00");
  const TimeMs later = t_noon_tokyo + 8 * ms_per_day;
  Core::HoldSweep sweep;
  std::size_t expired = 0, slices = 0;
  const std::size_t events_before = sink.events.size();
  do {
    ASSERT_LT(++slices, 1'000'000u);
    expired += core->expire_holds_step(0, later, 7 * ms_per_day, sink, sweep, 4096, 1);
  } while (sweep.next != 0);
  EXPECT_EQ(expired, 5u);
  EXPECT_EQ(sink.events.size() - events_before, 5u);
  for (std::size_t k = events_before; k < sink.events.size(); ++k) {
    EXPECT_NE(std::get_if<HoldExpiredEvent>(&sink.events[k]), nullptr);
  }
  EXPECT_EQ(core->read_user(u1, time_ms_min).open_holds, 0);
  // A second walk finds nothing left, and no slice moves anything.
  EXPECT_EQ(core->expire_holds_step(0, later, 7 * ms_per_day, sink, sweep, 1u << 30, 100), 0u);
  EXPECT_EQ(sweep.next, 0u);
  EXPECT_EQ(core->expire_holds(0, later, 7 * ms_per_day, sink), 0u);
}

TEST_F(Flows, EveryDecisionEmitsOneEventWithoutAFullPan) {
  ASSERT_EQ(rc(send(request(pan_c1, 30000, 1))), "00");
  ASSERT_EQ(sink.events.size(), 1u);
  const auto* d = std::get_if<DecisionEvent>(&sink.events[0]);
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->stored);
  EXPECT_EQ(d->effect_kind, EffectKind::hold);
  EXPECT_EQ(d->effect.hold_delta, 30000);
  EXPECT_EQ(d->effect.delta_count, 4);  // user daily, monthly; company daily, monthly
  EXPECT_EQ(mask_pan(d->content.pan), "400000******0002");
}

// The core reuses one event per shard: each reports only its own deltas,
// in the order of the limits (user's, then company's), with the period they
// counted in; the rest of the array is zero, as in a fresh event.
TEST_F(Flows, EachDecisionEventCarriesOnlyItsOwnDeltas) {
  const std::uint32_t u2 = core->find_user("u2");
  ASSERT_EQ(rc(send(request(pan_c1, 30000, 1))), "00");          // 4 deltas
  ASSERT_EQ(rc(send(request(pan_c2, 200000, 2))), "00");         // 3: u2 weekly, acme daily, monthly
  ASSERT_EQ(rc(send(request(pan_c2, 30000, 3))), "61");          // acme daily 260,000 > 250,000
  ASSERT_EQ(rc(send(request(pan_c1, 30000, 1))), "00");          // a duplicate: applies nothing
  ASSERT_EQ(sink.events.size(), 4u);
  const OwnerView user1 = core->read_user(u1, t_noon_tokyo), user2 = core->read_user(u2, t_noon_tokyo);
  const OwnerView company = core->read_company(acme, t_noon_tokyo);
  auto deltas = [&](std::size_t i) { return std::get<DecisionEvent>(sink.events[i]).effect; };
  const Effect first = deltas(0), second = deltas(1), declined = deltas(2), duplicate = deltas(3);
  ASSERT_EQ(first.delta_count, 4);
  EXPECT_EQ(first.deltas[0], (SlotDelta{LimitOwner::user, 0, user1.limits[1].current.start, 30000}));
  EXPECT_EQ(first.deltas[1], (SlotDelta{LimitOwner::user, 1, user1.limits[2].current.start, 30000}));
  EXPECT_EQ(first.deltas[2], (SlotDelta{LimitOwner::company, 0, company.limits[0].current.start, 30000}));
  EXPECT_EQ(first.deltas[3], (SlotDelta{LimitOwner::company, 1, company.limits[1].current.start, 30000}));
  ASSERT_EQ(second.delta_count, 3);
  EXPECT_EQ(second.deltas[0], (SlotDelta{LimitOwner::user, 0, user2.limits[0].current.start, 200000}));
  EXPECT_EQ(second.deltas[2], (SlotDelta{LimitOwner::company, 1, company.limits[1].current.start, 200000}));
  EXPECT_EQ(declined.delta_count, 0);
  EXPECT_EQ(duplicate.delta_count, 0);
  for (std::size_t i = 0; i < constants::slots_per_decision_max; ++i) {
    if (i >= 3) {
      EXPECT_EQ(second.deltas[i], SlotDelta{}) << i;
    }
    EXPECT_EQ(declined.deltas[i], SlotDelta{}) << i;
    EXPECT_EQ(duplicate.deltas[i], SlotDelta{}) << i;
  }
  EXPECT_TRUE(std::get<DecisionEvent>(sink.events[3]).duplicate);
  EXPECT_EQ(std::get<DecisionEvent>(sink.events[2]).effect_kind, EffectKind::none);
}

// The prefetch stages are hints: any request, known card or not, with a PAN
// or none, a key already stored or new, goes through every stage and is
// then decided exactly as without them.
TEST_F(Flows, PrefetchStagesChangeNoAnswer) {
  auto plain = make_core(rules_accounts);
  ASSERT_TRUE(plain);
  NullSink other;
  AuthRequest no_pan = request(pan_c1, 100, 9);
  no_pan.set_pan("12");  // too short: no PAN, answered 30
  const std::vector<AuthRequest> reqs = {request(pan_c1, 30000, 1), request(pan_c2, 500, 2),
                                         request(pan_unknown, 100, 3), no_pan,
                                         request(pan_c3, 600, 4), request(pan_c1, 30000, 1)};
  for (const AuthRequest& r : reqs) {
    for (const auto stage : {Core::PrefetchStage::index, Core::PrefetchStage::user, Core::PrefetchStage::limits}) {
      core->prefetch(r, stage);
    }
    const AuthResponse staged = send(r), unstaged = plain->authorize(0, r, other);
    EXPECT_EQ(rc(staged), rc(unstaged));
    EXPECT_EQ(staged.approval(), unstaged.approval());
    EXPECT_EQ(staged.duplicate, unstaged.duplicate);
  }
  EXPECT_EQ(core->dump_state(), plain->dump_state());
}

// Approval codes are the shard's approval counter in 6 base-36 digits (the
// replay decodes them back): checked past one and two digits' worth.
TEST_F(Flows, ApprovalCodesCountInBase36) {
  constexpr char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (std::uint32_t i = 0; i < 1300; ++i) {
    AuthRequest r = request(pan_c1, 1, i + 1);
    r.processing_code = 300000;  // a balance inquiry: approved, no limit moves
    const AuthResponse resp = send(r);
    ASSERT_TRUE(resp.has_approval_code);
    std::string want(6, '0');
    for (std::uint32_t v = i, k = 6; k-- > 0; v /= 36) want[k] = digits[v % 36];
    ASSERT_EQ(std::string(resp.approval_code.data(), 6), want) << i;
  }
}

// Past ZZZZZZ the codes start again at 000000, whether the code is computed
// from the counter (after replay set it) or stepped from the last one; and
// replay moves the counter on for the codes that follow.
TEST_F(Flows, ApprovalCodesWrapAfterReplaySetTheCounter) {
  DecisionEvent replayed;
  replayed.key = make_txn_key(1, 999, 1'123'030'000, 1);
  replayed.content = TxnContent{Pan{4000000000000000ull, 16}, 300000, 1, 392, true};
  replayed.txn_time = t_noon_tokyo;
  replayed.rc = ResponseCode::approved;
  replayed.stored = true;
  replayed.has_approval = true;
  replayed.approval = {'Z', 'Z', 'Z', 'Z', 'Z', 'X'};
  core->apply(replayed);
  for (const char* want : {"ZZZZZY", "ZZZZZZ", "000000", "000001"}) {
    AuthRequest r = request(pan_c1, 1, static_cast<std::uint32_t>(want[5]));
    r.processing_code = 300000;  // a balance inquiry: approved, no limit moves
    const AuthResponse resp = send(r);
    ASSERT_TRUE(resp.has_approval_code);
    EXPECT_EQ(std::string(resp.approval_code.data(), 6), want);
  }
}

}  // namespace
}  // namespace authswitch::core::testing
