// The accounts loader (SPEC 5): every error names FILE:LINE: field: reason;
// the demo data set loads and answers as documented.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "core/accounts_loader.h"
#include "core/demo_data.h"
#include "tests/core/core_fixture.h"

namespace authswitch::core::testing {
namespace {

constexpr const char* good_prefix =
    "{\"type\":\"company\",\"id\":\"acme\"}\n"
    "{\"type\":\"user\",\"id\":\"u1\",\"company\":\"acme\"}\n";

struct BadLine {
  const char* name;
  const char* line;  // appended as line 3
  const char* error;
};

class LoaderErrors : public ::testing::TestWithParam<BadLine> {};

TEST_P(LoaderErrors, StopAtTheLineWithFieldAndReason) {
  const std::string text = std::string(good_prefix) + GetParam().line + "\n";
  const LoadResult r = load_accounts_text(text, "acc.ndjson");
  EXPECT_FALSE(r.accounts);
  EXPECT_EQ(r.error, std::string("acc.ndjson:3: ") + GetParam().error);
  EXPECT_EQ(r.error.find("4000000000000002"), std::string::npos);  // never a full PAN
}

constexpr const char* card_ok_tail = R"(,"user":"u1","expiry":"2912","status":"active","currency":"392"})";

INSTANTIATE_TEST_SUITE_P(
    Lines, LoaderErrors,
    ::testing::Values(
        BadLine{"not_json", "{\"type\":", "json: incomplete or malformed JSON line"},
        BadLine{"not_object", "[1,2]", "json: each line must be one JSON object"},
        BadLine{"no_type", R"({"id":"x"})", "type: missing"},
        BadLine{"bad_type", R"({"type":"bank","id":"x"})", "type: must be company, user or card"},
        BadLine{"unknown_field", R"({"type":"company","id":"x","colour":"red"})", "colour: unknown field"},
        BadLine{"no_id", R"({"type":"company"})", "id: missing"},
        BadLine{"duplicate_company", R"({"type":"company","id":"acme"})", "id: duplicate company id"},
        BadLine{"duplicate_user", R"({"type":"user","id":"u1"})", "id: duplicate user id"},
        BadLine{"unknown_company", R"({"type":"user","id":"u2","company":"nope"})", "company: unknown company (it must come on an earlier line)"},
        BadLine{"balance_not_integer", R"({"type":"user","id":"u2","balance":1.5})", "balance: must be an integer (minor units)"},
        BadLine{"balance_on_company", R"({"type":"company","id":"c","balance":1})", "balance: not a field of this record type"},
        BadLine{"limit_bad_period", R"({"type":"user","id":"u2","limits":[{"period":"hourly","max":1}]})", "period: must be transaction, daily, weekly, monthly or total"},
        BadLine{"limit_negative_max", R"({"type":"user","id":"u2","limits":[{"period":"daily","max":-1}]})", "max: must be an integer >= 0 (minor units)"},
        BadLine{"limit_no_max", R"({"type":"user","id":"u2","limits":[{"period":"daily"}]})", "max: missing"},
        BadLine{"limit_bad_reset", R"({"type":"user","id":"u2","limits":[{"period":"daily","max":1,"reset_time":"24:00"}]})", "reset_time: must be \"HH:MM\""},
        BadLine{"limit_bad_anchor_day", R"({"type":"user","id":"u2","limits":[{"period":"monthly","max":1,"anchor_day":29}]})", "anchor_day: must be 1 to 28 or \"last\""},
        BadLine{"limit_anchor_day_on_daily", R"({"type":"user","id":"u2","limits":[{"period":"daily","max":1,"anchor_day":2}]})", "anchor_day: only for monthly limits"},
        BadLine{"limit_bad_weekday", R"({"type":"user","id":"u2","limits":[{"period":"weekly","max":1,"anchor_weekday":8}]})", "anchor_weekday: must be 1 (Monday) to 7 (Sunday)"},
        BadLine{"limit_twice", R"({"type":"user","id":"u2","limits":[{"period":"daily","max":1},{"period":"daily","max":2}]})", "limits: two limits with the same period and anchors"},
        BadLine{"card_no_pan", R"({"type":"card","id":"k","user":"u1","expiry":"2912","currency":"392"})", "pan: missing"},
        BadLine{"card_bad_pan", R"({"type":"card","id":"k","pan":"4000x","user":"u1"})", "pan: must be 12 to 19 digits"},
        BadLine{"card_unknown_user", R"({"type":"card","id":"k","pan":"4000000000000002","user":"u9","expiry":"2912","currency":"392"})", "user: unknown user (it must come on an earlier line)"},
        BadLine{"card_bad_expiry", R"({"type":"card","id":"k","pan":"4000000000000002","user":"u1","expiry":"2913","currency":"392"})", "expiry: month must be 01 to 12"},
        BadLine{"card_bad_status", R"({"type":"card","id":"k","pan":"4000000000000002","user":"u1","expiry":"2912","status":"frozen","currency":"392"})", "status: must be active, blocked, lost or stolen"},
        BadLine{"card_bad_currency", R"({"type":"card","id":"k","pan":"4000000000000002","user":"u1","expiry":"2912","currency":"JPY"})", "currency: must be 3 digits (ISO 4217)"},
        BadLine{"card_limits", R"({"type":"card","id":"k","pan":"4000000000000002","user":"u1","expiry":"2912","currency":"392","limits":[]})", "limits: not a field of a card"}),
    [](const ::testing::TestParamInfo<BadLine>& i) { return std::string(i.param.name); });

TEST(Loader, DuplicatePanIsReportedMasked) {
  const std::string text = std::string(good_prefix) +
                           R"({"type":"card","id":"a","pan":"4000000000000002")" + card_ok_tail + "\n" +
                           R"({"type":"card","id":"b","pan":"4000000000000002")" + card_ok_tail + "\n";
  const LoadResult r = load_accounts_text(text, "acc.ndjson");
  EXPECT_EQ(r.error, "acc.ndjson:4: pan: duplicate PAN 400000******0002");
}

TEST(Loader, DuplicateCardIdIsAnError) {
  const std::string text = std::string(good_prefix) +
                           R"({"type":"card","id":"a","pan":"4000000000000002")" + card_ok_tail + "\n" +
                           R"({"type":"card","id":"a","pan":"4000000000000010")" + card_ok_tail + "\n";
  EXPECT_EQ(load_accounts_text(text, "acc.ndjson").error, "acc.ndjson:4: id: duplicate card id");
}

TEST(Loader, BlankLinesAndAnyFieldOrderAreFine) {
  const std::string text = std::string(good_prefix) + "\n\n" +
                           R"({"currency":"392","pan":"4000000000000002","id":"a","type":"card","user":"u1","expiry":"2912"})" + "\n";
  const LoadResult r = load_accounts_text(text, "acc.ndjson");
  ASSERT_TRUE(r.accounts) << r.error;
  EXPECT_EQ(r.accounts->card_ids.size(), 1u);
  // Error line numbers count the blank lines.
  const LoadResult bad = load_accounts_text(std::string(good_prefix) + "\n\n{\"type\":\"x\"}\n", "acc.ndjson");
  EXPECT_EQ(bad.error, "acc.ndjson:5: type: must be company, user or card");
}

TEST(Loader, MalformedLineInTheMiddleIsNamed) {
  const std::string text = std::string(good_prefix) + "{\"type\":\"company\",\"id\":}\n" +
                           R"({"type":"company","id":"z"})" + "\n";
  const LoadResult r = load_accounts_text(text, "acc.ndjson");
  EXPECT_FALSE(r.accounts);
  EXPECT_EQ(r.error.rfind("acc.ndjson:3: ", 0), 0u) << r.error;
}

TEST(Loader, MissingFileNamesTheFile) {
  const LoadResult r = load_accounts_file("/nonexistent/accounts.ndjson");
  EXPECT_FALSE(r.accounts);
  EXPECT_EQ(r.error.rfind("/nonexistent/accounts.ndjson:", 0), 0u) << r.error;
}

TEST(DemoData, PansAreLuhnValidAndFollowThePattern) {
  EXPECT_EQ(demo_pan(0), "4000000000000002");
  EXPECT_EQ(demo_pan(1), "4000000000000010");
  for (std::size_t i : {0u, 7u, 12345u, 999999u}) {
    const std::string p = demo_pan(i);
    int sum = 0;
    for (std::size_t k = 0; k < p.size(); ++k) {
      int d = p[p.size() - 1 - k] - '0';
      if (k % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    EXPECT_EQ(sum % 10, 0) << p;
  }
}

TEST(DemoData, LoadsFromAFileAndAnswersAsDocumented) {
  const std::string path = ::testing::TempDir() + "demo_accounts.ndjson";
  {
    std::ofstream out(path);
    out << generate_demo_accounts(5000);
  }
  LoadResult r = load_accounts_file(path);
  std::remove(path.c_str());
  ASSERT_TRUE(r.accounts) << r.error;
  EXPECT_EQ(r.accounts->card_ids.size(), 5000u);
  EXPECT_EQ(r.accounts->user_ids.size(), 2500u);
  EXPECT_EQ(r.accounts->company_ids.size(), 25u);
  CoreConfig cfg;
  cfg.txn_capacity = 1u << 10;
  Core core(std::move(r.accounts), cfg);
  NullSink sink;
  EXPECT_EQ(rc(core.authorize(0, request(demo_pan(0), 100000, 1), sink)), "00");
  EXPECT_EQ(rc(core.authorize(0, request(demo_pan(0), 100001, 2), sink)), "61");
  EXPECT_EQ(rc(core.authorize(0, request(demo_pan(997), 1, 3), sink)), "62");
  EXPECT_EQ(rc(core.authorize(0, request(demo_pan(998), 1, 4), sink)), "41");
  EXPECT_EQ(rc(core.authorize(0, request(demo_pan(999), 1, 5), sink)), "43");
  EXPECT_EQ(core.read_user(core.find_user("u0"), time_ms_min).balance, 500000);
  EXPECT_FALSE(core.read_user(core.find_user("u1"), time_ms_min).has_balance);
  EXPECT_EQ(core.read_user(core.find_user("u3"), time_ms_min).company, no_index);
}

}  // namespace
}  // namespace authswitch::core::testing
