// The accounts loader (SPEC 5): every error names FILE:LINE: field: reason;
// the demo data set loads and answers as documented.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <limits>
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
        BadLine{"unknown_company", R"({"type":"user","id":"u2","company":"nope"})", "company: unknown company"},
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
        BadLine{"card_no_pan", R"({"type":"card","id":"k","user":"u1","expiry":"2912","status":"active","currency":"392"})", "pan: missing"},
        BadLine{"card_bad_pan", R"({"type":"card","id":"k","pan":"4000x","user":"u1"})", "pan: must be 12 to 19 digits"},
        BadLine{"card_unknown_user", R"({"type":"card","id":"k","pan":"4000000000000002","user":"u9","expiry":"2912","status":"active","currency":"392"})", "user: unknown user"},
        BadLine{"card_bad_expiry", R"({"type":"card","id":"k","pan":"4000000000000002","user":"u1","expiry":"2913","status":"active","currency":"392"})", "expiry: month must be 01 to 12"},
        BadLine{"card_bad_status", R"({"type":"card","id":"k","pan":"4000000000000002","user":"u1","expiry":"2912","status":"frozen","currency":"392"})", "status: must be active, blocked, lost or stolen"},
        BadLine{"card_bad_currency", R"({"type":"card","id":"k","pan":"4000000000000002","user":"u1","expiry":"2912","status":"active","currency":"JPY"})", "currency: must be 3 digits (ISO 4217)"},
        BadLine{"card_empty_user", R"({"type":"card","id":"k","pan":"4000000000000002","user":"","expiry":"2912","status":"active","currency":"392"})", "user: missing"},
        BadLine{"card_no_currency", R"({"type":"card","id":"k","pan":"4000000000000002","user":"u1","expiry":"2912","status":"active"})", "currency: missing"},
        // SPEC 5 names balance, company and limits as the optional fields:
        // a card without status is refused, never taken as active.
        BadLine{"card_no_status", R"({"type":"card","id":"k","pan":"4000000000000002","user":"u1","expiry":"2912","currency":"392"})", "status: missing"},
        BadLine{"card_no_status_slow_path", R"({ "type":"card","id":"k","pan":"4000000000000002","user":"u1","expiry":"2912","currency":"392"})", "status: missing"},
        // A key named twice: refused by name, on the fast path's strict form
        // and on the slow path's (whitespace, escaped key) alike.
        BadLine{"twice_card_id", R"({"type":"card","id":"c1","id":"c2","pan":"4000000000000002","user":"u1","expiry":"2912","status":"active","currency":"392"})", "id: appears twice"},
        BadLine{"twice_card_status", R"({"type":"card","id":"k","pan":"4000000000000002","user":"u1","expiry":"2912","status":"active","currency":"392","status":"stolen"})", "status: appears twice"},
        BadLine{"twice_card_pan", R"({"type":"card","id":"k","pan":"4000000000000002","user":"u1","pan":"4000000000000010","expiry":"2912","status":"active","currency":"392"})", "pan: appears twice"},
        BadLine{"twice_balance", R"({"type":"user","id":"u2","balance":1,"balance":2})", "balance: appears twice"},
        BadLine{"twice_type", R"({"type":"user","type":"company","id":"u2"})", "type: appears twice"},
        BadLine{"twice_company", R"({"type":"user","id":"u2","company":"acme","company":"acme"})", "company: appears twice"},
        BadLine{"twice_limits", R"({"type":"user","id":"u2","limits":[],"limits":[{"period":"daily","max":1}]})", "limits: appears twice"},
        BadLine{"twice_with_whitespace", R"({"type":"user", "id":"u2", "id":"u3"})", "id: appears twice"},
        BadLine{"twice_once_escaped", R"({"type":"user","id":"u2","id":"u3"})", "id: appears twice"},
        BadLine{"twice_in_a_limit_max", R"({"type":"user","id":"u2","limits":[{"period":"daily","max":1,"max":2}]})", "max: appears twice in one limit"},
        BadLine{"twice_in_a_limit_period", R"({"type":"user","id":"u2","limits":[{"period":"daily","max":1,"period":"monthly"}]})", "period: appears twice in one limit"},
        BadLine{"twice_in_a_limit_anchor_day", R"({"type":"company","id":"c","limits":[{"period":"monthly","max":1,"anchor_day":2,"anchor_day":"last"}]})", "anchor_day: appears twice in one limit"},
        BadLine{"twice_in_a_limit_reset_time", R"({"type":"user","id":"u2","limits":[{"period":"daily","reset_time":"04:00","max":1,"reset_time":"05:00"}]})", "reset_time: appears twice in one limit"},
        BadLine{"twice_in_the_second_limit", R"({"type":"user","id":"u2","limits":[{"period":"daily","max":1},{"period":"weekly","anchor_weekday":1,"max":1,"anchor_weekday":2}]})", "anchor_weekday: appears twice in one limit"},
        // Integers: money is integer minor units within int64; beyond it the
        // reason says so (not "malformed JSON"); a fraction or an exponent is
        // not an integer, whatever its value.
        BadLine{"balance_beyond_64_bits", R"({"type":"user","id":"u2","balance":99999999999999999999})", "balance: out of range for a count of minor units (signed 64 bits)"},
        BadLine{"balance_int64_max_plus_1", R"({"type":"user","id":"u2","balance":9223372036854775808})", "balance: out of range for a count of minor units (signed 64 bits)"},
        BadLine{"balance_uint64_max", R"({"type":"user","id":"u2","balance":18446744073709551615})", "balance: out of range for a count of minor units (signed 64 bits)"},
        BadLine{"balance_int64_min_minus_1", R"({"type":"user","id":"u2","balance":-9223372036854775809})", "balance: out of range for a count of minor units (signed 64 bits)"},
        BadLine{"balance_beyond_64_bits_slow_path", R"({"type":"user", "id":"u2", "balance": 123456789012345678901234567890 })", "balance: out of range for a count of minor units (signed 64 bits)"},
        BadLine{"balance_exponent", R"({"type":"user","id":"u2","balance":1e3})", "balance: must be an integer (minor units)"},
        BadLine{"balance_exponent_beyond_double", R"({"type":"user","id":"u2","balance":1e400})", "balance: must be an integer (minor units)"},
        BadLine{"balance_fraction_zero", R"({"type":"user","id":"u2","balance":5.0})", "balance: must be an integer (minor units)"},
        BadLine{"balance_string", R"({"type":"user","id":"u2","balance":"5"})", "balance: must be an integer (minor units)"},
        BadLine{"limit_max_beyond_64_bits", R"({"type":"user","id":"u2","limits":[{"period":"daily","max":99999999999999999999}]})", "max: out of range for a count of minor units (signed 64 bits)"},
        BadLine{"limit_max_beyond_64_bits_second", R"({"type":"user","id":"u2","limits":[{"period":"daily","max":1},{"period":"total","max":-99999999999999999999}]})", "max: out of range for a count of minor units (signed 64 bits)"},
        BadLine{"limit_max_exponent", R"({"type":"user","id":"u2","limits":[{"period":"daily","max":1e5}]})", "max: must be an integer >= 0 (minor units)"},
        BadLine{"limit_max_fraction", R"({"type":"user","id":"u2","limits":[{"period":"daily","max":100.5}]})", "max: must be an integer >= 0 (minor units)"},
        BadLine{"limit_anchor_day_beyond_64_bits", R"({"type":"user","id":"u2","limits":[{"period":"monthly","max":1,"anchor_day":99999999999999999999}]})", "anchor_day: must be 1 to 28 or \"last\""},
        BadLine{"limit_anchor_weekday_beyond_64_bits", R"({"type":"user","id":"u2","limits":[{"period":"weekly","max":1,"anchor_weekday":99999999999999999999}]})", "anchor_weekday: must be 1 (Monday) to 7 (Sunday)"},
        // A number simdjson cannot hold, after a record that reads clean: the
        // line is still not one JSON object.
        BadLine{"number_beyond_64_bits_after_the_object", R"({"type":"company","id":"c"} 99999999999999999999)", "json: incomplete or malformed JSON line"},
        BadLine{"number_beyond_64_bits_in_a_string_field", R"({"type":"company","id":99999999999999999999})", "id: must be a string"},
        BadLine{"card_pan_19_digits_with_letter", R"({"type":"card","id":"k","pan":"400000000000000000x","user":"u1"})", "pan: must be 12 to 19 digits"},
        BadLine{"card_pan_too_long", R"({"type":"card","id":"k","pan":"40000000000000000000","user":"u1"})", "pan: must be 12 to 19 digits"},
        BadLine{"id_too_long", R"({"type":"company","id":"12345678901234567890123456789012345678901234567890123456789012345"})", "id: longer than 64 bytes"},
        BadLine{"id_not_string", R"({"type":"company","id":7})", "id: must be a string"},
        BadLine{"limits_not_array", R"({"type":"user","id":"u2","limits":7})", "limits: must be an array"},
        BadLine{"card_limits", R"({"type":"card","id":"k","pan":"4000000000000002","user":"u1","expiry":"2912","status":"active","currency":"392","limits":[]})", "limits: not a field of a card"}),
    [](const ::testing::TestParamInfo<BadLine>& i) { return std::string(i.param.name); });

TEST(Loader, IntegersAtTheEdgesOf64BitsLoad) {
  const std::string text =
      R"({"type":"user","id":"a","balance":9223372036854775807,"limits":[{"period":"total","max":9223372036854775807}]})"
      "\n"
      R"({"type":"user", "id":"b", "balance":-9223372036854775808})"
      "\n";
  const LoadResult r = load_accounts_text(text, "acc.ndjson");
  ASSERT_TRUE(r.accounts) << r.error;
  EXPECT_EQ(r.accounts->users[0].balance, std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(limits_of(r.accounts->users[0].limits, *r.accounts->slots).items[0].max, std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(r.accounts->users[1].balance, std::numeric_limits<std::int64_t>::min());
}

TEST(Loader, KeysRepeatedInDifferentLimitsAreFine) {
  // "Twice" is per object: each limit has its own period and max.
  const LoadResult r = load_accounts_text(
      R"({"type":"user","id":"a","limits":[{"period":"daily","max":1},{"period":"monthly","max":2,"anchor_day":3}]})"
      "\n",
      "acc.ndjson");
  ASSERT_TRUE(r.accounts) << r.error;
  EXPECT_EQ(limits_of(r.accounts->users[0].limits, *r.accounts->slots).count, 2u);
}

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
                           R"({"currency":"392","pan":"4000000000000002","id":"a","status":"lost","type":"card","user":"u1","expiry":"2912"})" + "\n";
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

// SPEC 5 promises no order: a card may come before its user, a user before
// its company. Each case is a whole file and the error it must give ("" for
// a file that loads).
struct OrderCase {
  const char* name;
  const char* text;
  const char* error;
};

class LoaderOrder : public ::testing::TestWithParam<OrderCase> {};

TEST_P(LoaderOrder, ReferencesResolveAfterTheWholeFile) {
  const LoadResult r = load_accounts_text(GetParam().text, "acc.ndjson");
  if (std::string(GetParam().error).empty()) {
    ASSERT_TRUE(r.accounts) << r.error;
  } else {
    EXPECT_FALSE(r.accounts);
    EXPECT_EQ(r.error, std::string("acc.ndjson:") + GetParam().error);
  }
}

constexpr const char* card_k = R"({"type":"card","id":"k","pan":"4000000000000002","user":"u1","expiry":"2912","status":"active","currency":"392"})";

INSTANTIATE_TEST_SUITE_P(
    Files, LoaderOrder,
    ::testing::Values(
        OrderCase{"card_user_company_reversed",
                  R"({"type":"card","id":"k","pan":"4000000000000002","user":"u1","expiry":"2912","status":"active","currency":"392"}
{"type":"user","id":"u1","company":"acme"}
{"type":"company","id":"acme"}
)",
                  ""},
        OrderCase{"user_before_company",
                  R"({"type":"user","id":"u1","company":"acme"}
{"type":"company","id":"acme"}
)",
                  ""},
        OrderCase{"unknown_user_referred_forward",  // no user anywhere after the card
                  R"({"type":"card","id":"k","pan":"4000000000000002","user":"u1","expiry":"2912","status":"active","currency":"392"}
{"type":"user","id":"u2"}
)",
                  "1: user: unknown user"},
        OrderCase{"unknown_user_referred_backward",  // none before it either
                  R"({"type":"user","id":"u2"}

{"type":"card","id":"k","pan":"4000000000000002","user":"u1","expiry":"2912","status":"active","currency":"392"}
)",
                  "3: user: unknown user"},
        OrderCase{"unknown_company_referred_forward",
                  R"({"type":"user","id":"u1","company":"acme"}
{"type":"company","id":"acmf"}
)",
                  "1: company: unknown company"},
        OrderCase{"unknown_company_referred_backward",
                  R"({"type":"company","id":"acmf"}
{"type":"user","id":"u1","company":"acme"}
)",
                  "2: company: unknown company"},
        OrderCase{"earliest_line_wins_across_types",  // duplicate user on line 4, unknown user on line 3
                  R"({"type":"user","id":"u1"}
{"type":"card","id":"a","pan":"4000000000000002","user":"u1","expiry":"2912","status":"active","currency":"392"}
{"type":"card","id":"b","pan":"4000000000000010","user":"u9","expiry":"2912","status":"active","currency":"392"}
{"type":"user","id":"u1"}
)",
                  "3: user: unknown user"},
        OrderCase{"earliest_line_wins_duplicate_first",
                  R"({"type":"user","id":"u1"}
{"type":"user","id":"u1"}
{"type":"card","id":"b","pan":"4000000000000010","user":"u9","expiry":"2912","status":"active","currency":"392"}
)",
                  "2: id: duplicate user id"},
        OrderCase{"line_error_stops_before_references",  // a bad line is reported even after an unknown reference
                  R"({"type":"card","id":"b","pan":"4000000000000010","user":"u9","expiry":"2912","status":"active","currency":"392"}
{"type":"user","id":"u1","balance":"x"}
)",
                  "2: balance: must be an integer (minor units)"}),
    [](const ::testing::TestParamInfo<OrderCase>& i) { return std::string(i.param.name); });

TEST(Loader, OutOfOrderFileResolvesEveryReference) {
  const std::string text = std::string(card_k) + "\n" +
                           R"({"type":"user","id":"u0","balance":10})" + "\n" +
                           R"({"type":"user","id":"u1","company":"acme","balance":20})" + "\n" +
                           R"({"type":"company","id":"zeta"})" + "\n" +
                           R"({"type":"company","id":"acme","limits":[{"period":"monthly","max":5}]})" + "\n";
  const LoadResult r = load_accounts_text(text, "acc.ndjson");
  ASSERT_TRUE(r.accounts) << r.error;
  const Accounts& a = *r.accounts;
  // Dense indices are file order within each record type.
  EXPECT_EQ(a.user_ids.find("u1"), 1u);
  EXPECT_EQ(a.company_ids.find("acme"), 1u);
  const CardEntry* card = a.cards.find(*parse_pan("4000000000000002"));
  ASSERT_NE(card, nullptr);
  EXPECT_EQ(card->user, 1u);
  EXPECT_EQ(card->card, 0u);
  EXPECT_EQ(a.users[1].company, 1u);
  EXPECT_EQ(a.users[1].balance, 20);
  EXPECT_EQ(a.users[0].company, no_index);
  EXPECT_EQ(limits_of(a.companies[1].limits, *a.slots).count, 1u);
  EXPECT_EQ(limits_of(a.companies[0].limits, *a.slots).count, 0u);
}

TEST(Loader, EscapedStringsAreUnescaped) {
  const std::string text =
      R"({"type":"user","id":"u\u0031","company":"a\"b"})" "\n"
      R"({"type":"company","id":"a\"b"})" "\n"
      R"({"\u0074ype":"card","id":"c\/1","pan":"4000000000000002","user":"u1","expiry":"2912","status":"active","currency":"392"})" "\n";
  const LoadResult r = load_accounts_text(text, "acc.ndjson");
  ASSERT_TRUE(r.accounts) << r.error;
  EXPECT_EQ(r.accounts->user_ids.find("u1"), 0u);
  EXPECT_EQ(r.accounts->company_ids.find("a\"b"), 0u);
  EXPECT_EQ(r.accounts->card_ids.find("c/1"), 0u);
  EXPECT_EQ(r.accounts->users[0].company, 0u);
}

TEST(Loader, UsersSharingALimitListGetTheirOwnSlots) {
  // The loader parses one list text once; each user still gets its own
  // totals, and a different list is not confused with the first.
  const std::string text =
      R"({"type":"user","id":"a","limits":[{"period":"daily","max":7}]})" "\n"
      R"({"type":"user","id":"b","limits":[{"period":"daily","max":7}]})" "\n"
      R"({"type":"user","id":"c","limits":[{"period":"daily","max":8}]})" "\n"
      R"({"type":"user","id":"d","limits":[{"period":"daily","max":7}]})" "\n";
  const LoadResult r = load_accounts_text(text, "acc.ndjson");
  ASSERT_TRUE(r.accounts) << r.error;
  const Accounts& a = *r.accounts;
  EXPECT_NE(a.users[0].limits.slots[0], a.users[1].limits.slots[0]);
  EXPECT_EQ(limits_of(a.users[1].limits, *a.slots).items[0].max, 7);
  EXPECT_EQ(limits_of(a.users[2].limits, *a.slots).items[0].max, 8);
  EXPECT_EQ(limits_of(a.users[3].limits, *a.slots).items[0].max, 7);
}

TEST(Loader, LinesOutsideTheStrictFormLoadTheSame) {
  // Whitespace, UTF-8 and a key order the fast path does not expect go to
  // simdjson; the result is the same accounts.
  const std::string text =
      "{ \"type\" : \"company\", \"id\" : \"caf\xc3\xa9\" }\n"
      "{\"type\":\"user\",\"id\":\"u1\",\"company\":\"caf\xc3\xa9\",\"balance\": 5,\"limits\":[ {\"period\":\"daily\",\"max\":9} ]}\r\n"
      "{\"type\":\"card\",\"id\":\"k\",\"pan\":\"4000000000000002\",\"user\":\"u1\",\"expiry\":\"2912\",\"status\":\"active\",\"currency\":\"392\"}   \n";
  const LoadResult r = load_accounts_text(text, "acc.ndjson");
  ASSERT_TRUE(r.accounts) << r.error;
  EXPECT_EQ(r.lines, 3u);
  EXPECT_EQ(r.accounts->users[0].company, 0u);
  EXPECT_EQ(r.accounts->users[0].balance, 5);
  EXPECT_EQ(limits_of(r.accounts->users[0].limits, *r.accounts->slots).items[0].max, 9);
}

TEST(Loader, OneObjectPerLine) {
  EXPECT_EQ(load_accounts_text("{\"type\":\"company\",\"id\":\"a\"} {\"type\":\"company\",\"id\":\"b\"}\n", "acc.ndjson").error,
            "acc.ndjson:1: json: incomplete or malformed JSON line");
  EXPECT_EQ(load_accounts_text("{\"type\":\"company\",\n\"id\":\"a\"}\n", "acc.ndjson").error,
            "acc.ndjson:1: json: incomplete or malformed JSON line");
  EXPECT_EQ(load_accounts_text("{\"type\":\"company\",\"id\":\"a\",\"limits\":[{\"period\":\"daily\",\"max\":1},]}\n",
                               "acc.ndjson").error.rfind("acc.ndjson:1: ", 0),
            0u);
}

TEST(CheckCard, ConvertsEveryField) {
  CardText t;
  t.id = "k", t.pan = "4000000000000002", t.user = "u1", t.expiry = "2912", t.status = "lost", t.currency = "392";
  t.has_id = t.has_pan = t.has_user = t.has_expiry = t.has_status = t.has_currency = true;
  CardValues v;
  FieldError e;
  ASSERT_TRUE(check_card(t, &v, &e)) << e.field << ": " << e.reason;
  EXPECT_EQ(v.pan, *parse_pan("4000000000000002"));
  EXPECT_EQ(v.expiry_yymm, 2912);
  EXPECT_EQ(v.status, CardStatus::lost);
  EXPECT_EQ(v.currency, 392);
  EXPECT_EQ(v.user, "u1");
  for (const char* pan : {"400000000000", "4000000000000", "4000000000000002", "4000000000000000009"}) {
    t.pan = pan;
    ASSERT_TRUE(check_card(t, &v, &e)) << pan;
    EXPECT_EQ(v.pan, *parse_pan(pan)) << pan;
  }
  for (const char* pan : {"40000000000", "40000000/0000002", "4000000000:00002", "400000000000000a"}) {
    t.pan = pan;
    EXPECT_FALSE(check_card(t, &v, &e)) << pan;
    EXPECT_EQ(e.field, "pan");
  }
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
  // Named by the process: another build's run of this test may share /tmp.
  const std::string path = ::testing::TempDir() + "demo_accounts_" + std::to_string(::getpid()) + ".ndjson";
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
