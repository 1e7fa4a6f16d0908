// The HTTP API's parts on their own: the token check, the JSON writer, the
// body parsers (the endpoint tests cover them through HTTP too).
#include <gtest/gtest.h>

#include <string>

#include "io/admin_api_bodies.h"
#include "io/http_auth.h"
#include "io/http_json.h"

namespace authswitch::io {
namespace {

TEST(BearerToken, MatchesOnlyTheExactToken) {
  struct Case {
    const char* header;
    const char* token;
    bool match;
  };
  const Case cases[] = {
      {"Bearer abc", "abc", true},
      {"bearer abc", "abc", true},
      {"BEARER abc", "abc", true},
      {"Bearer abd", "abc", false},
      {"Bearer ab", "abc", false},
      {"Bearer abcd", "abc", false},
      {"Bearer  abc", "abc", false},
      {"Bearer ", "abc", false},
      {"Basic abc", "abc", false},
      {"abc", "abc", false},
      {"", "abc", false},
      {"Bearer ", "", false},  // an unset token refuses everything
      {"Bearer x", "", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(bearer_token_matches(c.header, c.token), c.match) << "'" << c.header << "' vs '" << c.token << "'";
  }
}

TEST(JsonOut, WritesInCallOrderWithEscapes) {
  JsonOut out;
  out.begin_object()
      .key("id").string("a\"b\\c\n\x01")
      .key("n").integer(-5)
      .key("list").begin_array().integer(1).null().boolean(true).begin_object().end_object().end_array()
      .key("empty").begin_array().end_array()
      .end_object();
  EXPECT_EQ(out.take(), R"({"id":"a\"b\\c\n\u0001","n":-5,"list":[1,null,true,{}],"empty":[]})");
}

TEST(JsonError, IsTheSpecsErrorShape) {
  EXPECT_EQ(json_error("user u9: not found", false), R"({"error":"user u9: not found","retryable":false})");
  EXPECT_EQ(json_error("full", true), R"({"error":"full","retryable":true})");
}

TEST(CardBody, ParsesEveryField) {
  CardBody card;
  std::string error;
  ASSERT_TRUE(parse_card_body(
      R"({"id":"c\u0031","pan":"0000123456789012345","user":"u1","expiry":"0101","status":"stolen","currency":"036"})",
      &card, &error))
      << error;
  EXPECT_EQ(card.id, "c1");
  EXPECT_EQ(core::pan_digits(card.pan), "0000123456789012345");  // leading zeros kept
  EXPECT_EQ(card.user, "u1");
  EXPECT_EQ(card.expiry_yymm, 101);
  EXPECT_EQ(card.status, core::CardStatus::stolen);
  EXPECT_EQ(card.currency, 36);
}

TEST(CardBody, RefusesAnIdLongerThan64Bytes) {
  CardBody card;
  std::string error;
  const std::string body = R"({"id":")" + std::string(65, 'c') +
                           R"(","pan":"4111111111111111","user":"u1","expiry":"2912","status":"active","currency":"392"})";
  EXPECT_FALSE(parse_card_body(body, &card, &error));
  EXPECT_EQ(error, "id: longer than 64 bytes");
}

TEST(LimitsBody, ReusesTheAccountsFileForm) {
  core::LimitList list;
  std::string error;
  ASSERT_TRUE(parse_limits_body(
      R"({"limits":[{"period":"transaction","max":1},{"period":"weekly","max":2,"anchor_weekday":7,"reset_time":"23:59"}]})",
      &list, &error))
      << error;
  ASSERT_EQ(list.count, 2);
  EXPECT_EQ(list.items[0].spec.kind, core::PeriodKind::transaction);
  EXPECT_EQ(list.items[1].spec.kind, core::PeriodKind::weekly);
  EXPECT_EQ(list.items[1].spec.anchor_weekday, 7);
  EXPECT_EQ(list.items[1].spec.reset_minutes, 23 * 60 + 59);
  EXPECT_EQ(list.items[1].max, 2);
}

TEST(AmountBody, TakesNegativeAdjustments) {
  std::int64_t amount = 0;
  std::string error;
  ASSERT_TRUE(parse_amount_body(R"({"amount":-9223372036854775807})", &amount, &error)) << error;
  EXPECT_EQ(amount, -9223372036854775807);
}

// Every body refuses a field named twice, an integer beyond 64 bits by its
// field, and a number that is not an integer; the card body and the limits
// follow the accounts file's rules (status required, limits as in the file).
TEST(Bodies, RefuseWhatTheAccountsFileRefuses) {
  struct Case {
    const char* name;
    bool (*parse)(std::string_view body, std::string* error);
    const char* body;
    const char* error;
  };
  const auto card = [](std::string_view b, std::string* e) {
    CardBody out;
    return parse_card_body(b, &out, e);
  };
  const auto limits = [](std::string_view b, std::string* e) {
    core::LimitList out;
    return parse_limits_body(b, &out, e);
  };
  const auto status = [](std::string_view b, std::string* e) {
    core::CardStatus out;
    return parse_status_body(b, &out, e);
  };
  const auto amount = [](std::string_view b, std::string* e) {
    std::int64_t out = 0;
    return parse_amount_body(b, &out, e);
  };
  const Case cases[] = {
      {"card_id_twice", card,
       R"({"id":"c1","id":"c2","pan":"4111111111111111","user":"u1","expiry":"2912","status":"active","currency":"392"})",
       "id: appears twice"},
      {"card_status_twice", card,
       R"({"id":"c1","pan":"4111111111111111","user":"u1","expiry":"2912","status":"active","currency":"392","status":"lost"})",
       "status: appears twice"},
      {"card_no_status", card, R"({"id":"c1","pan":"4111111111111111","user":"u1","expiry":"2912","currency":"392"})",
       "status: missing"},
      {"limits_twice", limits, R"({"limits":[],"limits":[{"period":"daily","max":1}]})", "limits: appears twice"},
      {"limit_max_twice", limits, R"({"limits":[{"period":"daily","max":1,"max":2}]})",
       "max: appears twice in one limit"},
      {"limit_max_beyond_64_bits", limits, R"({"limits":[{"period":"daily","max":99999999999999999999}]})",
       "max: out of range for a count of minor units (signed 64 bits)"},
      {"limit_max_exponent", limits, R"({"limits":[{"period":"daily","max":1e5}]})",
       "max: must be an integer >= 0 (minor units)"},
      {"status_twice", status, R"({"status":"blocked","status":"active"})", "status: appears twice"},
      {"amount_twice", amount, R"({"amount":5,"amount":500000})", "amount: appears twice"},
      {"amount_int64_max_plus_1", amount, R"({"amount":9223372036854775808})",
       "amount: out of range for a count of minor units (signed 64 bits)"},
      {"amount_beyond_64_bits", amount, R"({"amount":-99999999999999999999})",
       "amount: out of range for a count of minor units (signed 64 bits)"},
      {"amount_exponent", amount, R"({"amount":5e3})", "amount: must be a non-zero integer (minor units)"},
      {"amount_beyond_a_double", amount, R"({"amount":1e400})", "amount: must be a non-zero integer (minor units)"},
      {"number_beyond_64_bits_after_the_object", amount, R"({"amount":5} 99999999999999999999)", "body: not JSON"},
  };
  for (const Case& c : cases) {
    std::string error;
    EXPECT_FALSE(c.parse(c.body, &error)) << c.name;
    EXPECT_EQ(error, c.error) << c.name;
  }
}

}  // namespace
}  // namespace authswitch::io
