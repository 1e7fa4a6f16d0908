// SPEC 3's decision rules, one table row per rule and response code, each
// after the requests (if any) that set it up.
#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "tests/core/accounts_text.h"
#include "tests/core/core_fixture.h"

namespace authswitch::core::testing {
namespace {

// 2026-11-30T14:59:59.999Z is 23:59:59.999 on Nov 30 in Tokyo.
constexpr TimeMs t_nov30_last_ms = 1796050799999;

struct RuleCase {
  const char* name;
  std::vector<std::function<AuthRequest()>> before;  // each must be answered 00
  std::function<AuthRequest()> request;
  const char* rc;
  const char* reason;
};

AuthRequest with(AuthRequest r, const std::function<void(AuthRequest&)>& f) {
  f(r);
  return r;
}

class RulesTest : public ::testing::TestWithParam<RuleCase> {};

TEST_P(RulesTest, Decides) {
  const RuleCase& c = GetParam();
  auto core = make_core(rules_accounts);
  ASSERT_TRUE(core);
  NullSink sink;
  for (const auto& b : c.before) {
    const AuthRequest r = b();
    ASSERT_EQ(rc(core->authorize(0, r, sink)), "00") << "setup request stan " << r.stan;
  }
  const AuthResponse resp = core->authorize(0, c.request(), sink);
  EXPECT_EQ(rc(resp), c.rc);
  EXPECT_EQ(reason(resp), c.reason);
  EXPECT_EQ(resp.has_approval_code, std::string(c.rc) == "00");
}

using R = AuthRequest;

INSTANTIATE_TEST_SUITE_P(
    Rules, RulesTest,
    ::testing::Values(
        // Rule 1.
        RuleCase{"r1_missing_pan", {}, [] { return with(request(pan_c1, 100, 1), [](R& r) { r.present &= ~R::f2; }); }, "30", ""},
        RuleCase{"r1_missing_processing_code", {}, [] { return with(request(pan_c1, 100, 1), [](R& r) { r.present &= ~R::f3; }); }, "30", ""},
        RuleCase{"r1_missing_stan", {}, [] { return with(request(pan_c1, 100, 1), [](R& r) { r.present &= ~R::f11; }); }, "30", ""},
        RuleCase{"r1_pan_not_digits", {}, [] { return with(request(pan_c1, 100, 1), [](R& r) { r.set_pan("400x000000000002"); }); }, "30", ""},
        RuleCase{"r1_advice_needs_no_processing_code", {}, [] { return with(request(pan_c1, 100, 1, MtiClass::advice), [](R& r) { r.present &= ~R::f3; }); }, "00", ""},
        RuleCase{"mti_not_served", {}, [] { return with(request(pan_c1, 100, 1), [](R& r) { r.mti_class = MtiClass::other; }); }, "12", ""},
        RuleCase{"processing_code_not_served", {}, [] { return with(request(pan_c1, 100, 1), [](R& r) { r.processing_code = 400000; }); }, "12", ""},
        // Rule 4.
        RuleCase{"r4_unknown_card", {}, [] { return request(pan_unknown, 100, 1); }, "14", ""},
        // Rule 5.
        RuleCase{"r5_lost", {}, [] { return request(pan_lost, 100, 1); }, "41", ""},
        RuleCase{"r5_stolen", {}, [] { return request(pan_stolen, 100, 1); }, "43", ""},
        RuleCase{"r5_blocked", {}, [] { return request(pan_blocked, 100, 1); }, "62", ""},
        RuleCase{"r5_refund_on_blocked_card", {}, [] { return with(request(pan_blocked, 100, 1), [](R& r) { r.processing_code = 200000; }); }, "62", ""},
        // Rule 6.
        RuleCase{"r6_expired", {}, [] { return request(pan_expired, 100, 1); }, "54", ""},
        RuleCase{"r6_last_ms_of_expiry_month", {}, [] { return request(pan_nov, 100, 1, MtiClass::authorization, t_nov30_last_ms); }, "00", ""},
        RuleCase{"r6_first_ms_after_expiry_month", {}, [] { return request(pan_nov, 100, 1, MtiClass::authorization, t_nov30_last_ms + 1); }, "54", ""},
        RuleCase{"r6_field14_differs", {}, [] { return with(request(pan_c1, 100, 1), [](R& r) { r.present |= R::f14; r.expiry_yymm = 2911; }); }, "54", ""},
        RuleCase{"r6_field14_matches", {}, [] { return with(request(pan_c1, 100, 1), [](R& r) { r.present |= R::f14; r.expiry_yymm = 2912; }); }, "00", ""},
        // Rule 7.
        RuleCase{"r7_amount_zero", {}, [] { return request(pan_c1, 0, 1); }, "13", ""},
        RuleCase{"r7_amount_negative", {}, [] { return request(pan_c1, -5, 1); }, "13", ""},
        RuleCase{"r7_amount_not_numeric", {}, [] { return with(request(pan_c1, 100, 1), [](R& r) { r.amount_numeric = false; }); }, "13", ""},
        RuleCase{"r7_foreign_currency_without_billing", {}, [] { return with(request(pan_c1, 100, 1), [](R& r) { r.currency = 840; }); }, "05", ""},
        RuleCase{"r7_foreign_currency_with_billing", {}, [] { return with(request(pan_c1, 100, 1), [](R& r) { r.currency = 840; r.present |= R::f6; r.billing_amount = 15000; }); }, "00", ""},
        RuleCase{"r7_billing_amount_checked_against_limits", {}, [] { return with(request(pan_c1, 100, 1), [](R& r) { r.currency = 840; r.present |= R::f6; r.billing_amount = 100001; }); }, "61", "USER:TRANSACTION"},
        RuleCase{"r7_card_in_usd", {}, [] { return with(request(pan_usd, 100, 1), [](R& r) { r.currency = 840; }); }, "00", ""},
        // Rule 8.
        RuleCase{"r8_transaction_limit", {}, [] { return request(pan_c1, 100001, 1); }, "61", "USER:TRANSACTION"},
        RuleCase{"r8_transaction_limit_equal_fits", {}, [] { return request(pan_c1, 100000, 1); }, "00", ""},
        // Rule 9.
        RuleCase{"r9_user_daily", {[] { return request(pan_c1, 100000, 1); }, [] { return request(pan_c1, 90000, 2); }},
                 [] { return request(pan_c1, 10001, 3); }, "61", "USER:DAILY"},
        RuleCase{"r9_user_daily_equal_fits", {[] { return request(pan_c1, 100000, 1); }, [] { return request(pan_c1, 90000, 2); }},
                 [] { return request(pan_c1, 10000, 3); }, "00", ""},
        RuleCase{"r9_user_before_company", {}, [] { return request(pan_c2, 300001, 1); }, "61", "USER:WEEKLY"},
        RuleCase{"r9_company_daily", {[] { return request(pan_c1, 100000, 1); }, [] { return request(pan_c1, 100000, 2); }},
                 [] { return request(pan_c2, 50001, 3); }, "61", "COMPANY:DAILY"},
        RuleCase{"r9_company_daily_equal_fits", {[] { return request(pan_c1, 100000, 1); }, [] { return request(pan_c1, 100000, 2); }},
                 [] { return request(pan_c2, 50000, 3); }, "00", ""},
        RuleCase{"r9_next_day_is_a_new_period", {[] { return request(pan_c1, 100000, 1); }, [] { return request(pan_c1, 100000, 2); }},
                 [] { return request(pan_c1, 100000, 3, MtiClass::authorization, t_noon_tokyo + 86'400'000); }, "00", ""},
        RuleCase{"r9_advice_counts_toward_limits", {[] { return request(pan_c1, 100000, 1); }, [] { return request(pan_c1, 100000, 2, MtiClass::advice); }},
                 [] { return request(pan_c1, 1, 3); }, "61", "USER:DAILY"},
        RuleCase{"r9_refund_moves_no_total", {[] { return request(pan_c1, 100000, 1); }, [] { return with(request(pan_c1, 100000, 2), [](R& r) { r.processing_code = 200000; }); }, [] { return request(pan_c1, 100000, 3); }},
                 [] { return request(pan_c1, 1, 4); }, "61", "USER:DAILY"},
        // Rule 10.
        RuleCase{"r10_balance", {}, [] { return request(pan_c3, 1001, 1); }, "51", ""},
        RuleCase{"r10_balance_equal_fits", {}, [] { return request(pan_c3, 1000, 1); }, "00", ""},
        RuleCase{"r10_open_holds_count", {[] { return request(pan_c3, 600, 1); }}, [] { return request(pan_c3, 401, 2); }, "51", ""},
        RuleCase{"r10_posted_financial_counts", {[] { return request(pan_c3, 600, 1, MtiClass::financial); }}, [] { return request(pan_c3, 401, 2); }, "51", ""},
        RuleCase{"r10_credit_user_has_no_balance_rule", {}, [] { return request(pan_c2, 250000, 1); }, "00", ""},
        // Advice: applied even past limits and balance; always 00.
        RuleCase{"advice_past_limits", {}, [] { return request(pan_c3, 5000, 1, MtiClass::advice); }, "00", ""},
        RuleCase{"advice_blocked_card", {}, [] { return request(pan_blocked, 5000, 1, MtiClass::advice); }, "00", ""},
        // Processing codes.
        RuleCase{"cash_is_a_debit", {}, [] { return with(request(pan_c3, 1001, 1), [](R& r) { r.processing_code = 10000; }); }, "51", ""},
        RuleCase{"cashback_is_a_debit", {}, [] { return with(request(pan_c3, 1001, 1), [](R& r) { r.processing_code = 90000; }); }, "51", ""},
        RuleCase{"refund_past_limits", {}, [] { return with(request(pan_c3, 5000, 1), [](R& r) { r.processing_code = 200000; }); }, "00", ""},
        RuleCase{"refund_amount_zero", {}, [] { return with(request(pan_c3, 0, 1), [](R& r) { r.processing_code = 200000; }); }, "13", ""},
        RuleCase{"inquiry_amount_zero", {}, [] { return with(request(pan_c3, 0, 1), [](R& r) { r.processing_code = 300000; }); }, "00", ""},
        RuleCase{"inquiry_on_lost_card", {}, [] { return with(request(pan_lost, 0, 1), [](R& r) { r.processing_code = 310000; }); }, "41", ""}),
    [](const ::testing::TestParamInfo<RuleCase>& i) { return std::string(i.param.name); });

// ---- rule 2: duplicates ----------------------------------------------------

TEST(Duplicates, SameContentReturnsTheStoredAnswerAndAppliesNothing) {
  auto core = make_core(rules_accounts);
  NullSink sink;
  const AuthRequest r = request(pan_c3, 600, 7);
  const AuthResponse first = core->authorize(0, r, sink);
  ASSERT_EQ(rc(first), "00");
  AuthRequest repeat = r;
  repeat.repeat = true;  // 0101: same key
  const AuthResponse again = core->authorize(0, repeat, sink);
  EXPECT_EQ(rc(again), "00");
  EXPECT_EQ(again.approval(), first.approval());
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(core->available_balance(core->find_user("u3")), 400);
}

TEST(Duplicates, StoredDeclineIsReturnedEvenAfterTheCauseIsGone) {
  auto core = make_core(rules_accounts);
  NullSink sink;
  const AuthRequest r = request(pan_c3, 1001, 7);
  ASSERT_EQ(rc(core->authorize(0, r, sink)), "51");
  ASSERT_EQ(core->adjust_balance(0, core->find_user("u3"), 5000, "k", 1, sink).status, OpStatus::ok);
  EXPECT_EQ(rc(core->authorize(0, r, sink)), "51");
}

struct ConflictCase {
  const char* name;
  std::function<void(AuthRequest&)> change;
};

class DuplicateConflict : public ::testing::TestWithParam<ConflictCase> {};

TEST_P(DuplicateConflict, DifferentContentIs94AndAppliesNothing) {
  auto core = make_core(rules_accounts);
  NullSink sink;
  const AuthRequest r = request(pan_c3, 600, 7);
  ASSERT_EQ(rc(core->authorize(0, r, sink)), "00");
  AuthRequest other = r;
  GetParam().change(other);
  const AuthResponse resp = core->authorize(0, other, sink);
  EXPECT_EQ(rc(resp), "94");
  EXPECT_FALSE(resp.has_approval_code);
  EXPECT_EQ(core->available_balance(core->find_user("u3")), 400);
}

INSTANTIATE_TEST_SUITE_P(
    Fields, DuplicateConflict,
    ::testing::Values(ConflictCase{"pan", [](AuthRequest& r) { r.set_pan(pan_usd); }},
                      ConflictCase{"processing_code", [](AuthRequest& r) { r.processing_code = 10000; }},
                      ConflictCase{"amount", [](AuthRequest& r) { r.amount = 601; }},
                      ConflictCase{"currency", [](AuthRequest& r) { r.currency = 840; }}),
    [](const ::testing::TestParamInfo<ConflictCase>& i) { return std::string(i.param.name); });

TEST(Duplicates, KeyIsAcquirerStanField7AndMtiClass) {
  auto core = make_core(rules_accounts);
  NullSink sink;
  const AuthRequest r = request(pan_c3, 100, 7);
  ASSERT_EQ(rc(core->authorize(0, r, sink)), "00");
  for (auto change : std::vector<std::function<void(AuthRequest&)>>{
           [](AuthRequest& x) { x.acquirer = 999; }, [](AuthRequest& x) { x.stan = 8; },
           [](AuthRequest& x) { x.field7 = 1123030001; }, [](AuthRequest& x) { x.mti_class = MtiClass::financial; }}) {
    AuthRequest other = r;
    change(other);
    other.amount = 1;  // would be 94 if it were the same key
    EXPECT_EQ(rc(core->authorize(0, other, sink)), "00");
  }
}

TEST(Duplicates, FullTableAnswers91AndStoresNothing) {
  auto core = make_core(rules_accounts, "Asia/Tokyo", 1, 8);  // one bucket: 7 entries
  NullSink sink;
  for (std::uint32_t stan = 1; stan <= 7; ++stan) ASSERT_EQ(rc(core->authorize(0, request(pan_c3, 10, stan), sink)), "00");
  const AuthRequest eighth = request(pan_c3, 10, 8);
  EXPECT_EQ(rc(core->authorize(0, eighth, sink)), "91");
  EXPECT_EQ(rc(core->authorize(0, eighth, sink)), "91");  // decided afresh, not a stored 91
  EXPECT_EQ(core->available_balance(core->find_user("u3")), 930);
  // Visible: counted with its reason (every entry inside the duplicate window).
  EXPECT_EQ(core->txn_stats().full_window, 2u);
  EXPECT_EQ(core->txn_stats().full_holds, 0u);
}

// ---- rule 11: approval codes -----------------------------------------------

TEST(ApprovalCodes, SixCharactersUniqueAcrossShards) {
  auto core = make_core(rules_accounts, "Asia/Tokyo", 3);
  NullSink sink;
  std::set<std::string> codes;
  const ShardId shard = core->route(request(pan_c2, 1, 1));
  for (std::uint32_t i = 1; i <= 200; ++i) {
    const AuthResponse resp = core->authorize(shard, request(pan_c2, 1, i), sink);
    ASSERT_EQ(rc(resp), "00");
    ASSERT_EQ(resp.approval().size(), 6u);
    EXPECT_TRUE(codes.insert(std::string(resp.approval())).second);
  }
  const ShardId other = core->route(request(pan_c3, 1, 1));
  ASSERT_NE(other, shard);
  for (std::uint32_t i = 1; i <= 200; ++i) {
    const AuthResponse resp = core->authorize(other, request(pan_c3, 1, 1000 + i), sink);
    ASSERT_EQ(rc(resp), "00");
    EXPECT_TRUE(codes.insert(std::string(resp.approval())).second);
  }
}

TEST(BalanceInquiry, AnswersBalanceMinusOpenHolds) {
  auto core = make_core(rules_accounts);
  NullSink sink;
  ASSERT_EQ(rc(core->authorize(0, request(pan_c3, 300, 1), sink)), "00");
  AuthRequest q = request(pan_c3, 0, 2);
  q.processing_code = 300000;
  const AuthResponse resp = core->authorize(0, q, sink);
  EXPECT_EQ(rc(resp), "00");
  EXPECT_TRUE(resp.has_available);
  EXPECT_EQ(resp.available, 700);
  EXPECT_EQ(resp.available_currency, 392);
  EXPECT_EQ(core->available_balance(core->find_user("u3")), 700);  // moved nothing
}

TEST(BalanceInquiry, RepeatAnswersTheStoredBalance) {
  auto core = make_core(rules_accounts);
  NullSink sink;
  AuthRequest q = request(pan_c3, 0, 2);
  q.processing_code = 300000;
  const AuthResponse first = core->authorize(0, q, sink);
  ASSERT_EQ(rc(first), "00");
  ASSERT_TRUE(first.has_available);
  EXPECT_EQ(first.available, 1000);
  ASSERT_EQ(rc(core->authorize(0, request(pan_c3, 300, 3), sink)), "00");  // the balance moves on
  const AuthResponse repeat = core->authorize(0, q, sink);
  EXPECT_TRUE(repeat.duplicate);
  EXPECT_EQ(rc(repeat), "00");
  EXPECT_EQ(repeat.approval(), first.approval());
  ASSERT_TRUE(repeat.has_available);
  EXPECT_EQ(repeat.available, 1000);  // what the first answer said, not the balance now
  EXPECT_EQ(repeat.available_currency, 392);
}

}  // namespace
}  // namespace authswitch::core::testing
