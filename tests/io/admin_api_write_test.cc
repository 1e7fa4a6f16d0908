// Writes through the HTTP API (SPEC 6) and their effect on the core: limits
// (taking effect on the next authorization, totals kept), cards, card status,
// idempotent top-ups, and clearing's honest 501.
#include <array>
#include <thread>
#include <variant>

#include "tests/io/admin_api_fixture.h"

namespace authswitch::io::testing {
namespace {

template <typename T>
std::size_t count_of(const std::vector<core::Event>& events) {
  std::size_t n = 0;
  for (const auto& e : events) n += std::holds_alternative<T>(e) ? 1 : 0;
  return n;
}

constexpr const char* json = "application/json";

TEST_F(AdminApiTest, PutUserLimitsAnswersTheNewViewAndKeepsTotals) {
  ASSERT_EQ(authorize(pan_c1, 12000, 1).rc, core::ResponseCode::approved);
  const auto res = client_->Put("/v1/users/u1/limits", auth(),
                                R"({"limits":[{"period":"daily","max":15000},{"period":"weekly","max":90000,)"
                                R"("anchor_weekday":3,"reset_time":"04:30"}]})",
                                json);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  // The daily limit kept its total (same period and anchors); the weekly one
  // is new; the transaction and monthly limits are gone. 2026-11-23 is a
  // Monday, so the week anchored on Wednesday 04:30 began on the 18th.
  EXPECT_EQ(res->body,
            R"({"id":"u1","company":"acme","balance":500000,"open_holds":12000,"limits":[)"
            R"({"period":"daily","max":15000,)"
            R"("current":{"start":"2026-11-23T00:00:00+09:00","end":"2026-11-24T00:00:00+09:00","total":12000},)"
            R"("next":{"start":"2026-11-24T00:00:00+09:00","end":"2026-11-25T00:00:00+09:00","total":0}},)"
            R"({"period":"weekly","max":90000,"reset_time":"04:30","anchor_weekday":3,)"
            R"("current":{"start":"2026-11-18T04:30:00+09:00","end":"2026-11-25T04:30:00+09:00","total":0},)"
            R"("next":{"start":"2026-11-25T04:30:00+09:00","end":"2026-12-02T04:30:00+09:00","total":0}}]})");
  EXPECT_EQ(shard_calls(), std::vector<core::ShardId>{core_->shard_of_user(core_->find_user("u1"))});
  EXPECT_EQ(count_of<core::LimitsSetEvent>(shard_sink_.events()), 1u);
  EXPECT_TRUE(control_sink_.events().empty());

  // Next authorization: 12,000 + 5,000 is past the new daily 15,000.
  const core::AuthResponse declined = authorize(pan_c1, 5000, 2);
  EXPECT_EQ(declined.rc, core::ResponseCode::exceeds_limit);
  EXPECT_EQ(core::reason_text(declined.reason), "USER:DAILY");
  EXPECT_EQ(authorize(pan_c1, 3000, 3).rc, core::ResponseCode::approved);  // exactly 15,000 fits
}

TEST_F(AdminApiTest, AnEmptyLimitListUnsetsEveryLimit) {
  auto res = client_->Put("/v1/users/u1/limits", auth(), R"({"limits":[]})", json);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, R"({"id":"u1","company":"acme","balance":500000,"open_holds":0,"limits":[]})");
  // 150,000 was over the per-transaction limit of 100,000; now only the
  // balance and the company's monthly limit apply.
  EXPECT_EQ(authorize(pan_c1, 150000, 1).rc, core::ResponseCode::approved);
}

TEST_F(AdminApiTest, PutCompanyLimitsRunsOnTheCompanysShardAndTakesEffect) {
  const auto res = client_->Put("/v1/companies/beta/limits", auth(),
                                R"({"limits":[{"period":"total","max":400},{"period":"monthly","max":900,)"
                                R"("anchor_day":"last"}]})",
                                json);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body,
            R"({"id":"beta","limits":[{"period":"total","max":400,"current":{"start":null,"end":null,"total":0}},)"
            R"({"period":"monthly","max":900,"anchor_day":"last",)"
            R"("current":{"start":"2026-10-31T00:00:00+09:00","end":"2026-11-30T00:00:00+09:00","total":0},)"
            R"("next":{"start":"2026-11-30T00:00:00+09:00","end":"2026-12-31T00:00:00+09:00","total":0}}]})");
  EXPECT_EQ(shard_calls(), std::vector<core::ShardId>{core_->shard_of_company(core_->find_company("beta"))});
  const core::AuthResponse declined = authorize("4000000000000051", 500, 1);
  EXPECT_EQ(declined.rc, core::ResponseCode::exceeds_limit);
  EXPECT_EQ(core::reason_text(declined.reason), "COMPANY:TOTAL");
}

TEST_F(AdminApiTest, PostCardAddsItMaskedAndTheNextAuthorizationFindsIt) {
  const auto res = client_->Post("/v1/cards", auth(),
                                 R"({"id":"c9","pan":"4111111111111111","user":"u1","expiry":"2912",)"
                                 R"("status":"active","currency":"392"})",
                                 json);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(res->body, R"({"id":"c9","pan":"411111******1111","user":"u1","expiry":"2912",)"
                       R"("status":"active","currency":"392"})");
  EXPECT_EQ(res->get_header_value("Location"), "/v1/cards/c9");
  EXPECT_EQ(count_of<core::CardAddedEvent>(control_sink_.events()), 1u);
  EXPECT_TRUE(shard_sink_.events().empty());
  EXPECT_EQ(authorize("4111111111111111", 1000, 1).rc, core::ResponseCode::approved);
}

// The body is SPEC 5's card record (SPEC 6), whose status is required: a
// card is never made active by leaving its status out.
TEST_F(AdminApiTest, PostCardWithoutStatusIs400AndAddsNothing) {
  const auto res = client_->Post("/v1/cards", auth(),
                                 R"({"id":"c9","pan":"4111111111111111","user":"u3","expiry":"0105","currency":"840"})",
                                 json);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(res->body, R"({"error":"status: missing","retryable":false})");
  EXPECT_TRUE(control_sink_.events().empty());
  EXPECT_EQ(authorize("4111111111111111", 1000, 1).rc, core::ResponseCode::no_such_card);
}

TEST_F(AdminApiTest, DuplicateCardIdOrPanIs409WithoutTheFullPan) {
  struct Case {
    const char* name;
    const char* body;
    const char* error;
  };
  const Case cases[] = {
      {"same id", R"({"id":"c1","pan":"4111111111111111","user":"u1","expiry":"2912",)"
                  R"("status":"active","currency":"392"})",
       R"({"error":"id: card c1 already exists","retryable":false})"},
      {"same PAN", R"({"id":"c9","pan":"4000000000000002","user":"u1","expiry":"2912",)"
                   R"("status":"active","currency":"392"})",
       R"({"error":"pan: a card with PAN 400000******0002 already exists","retryable":false})"},
  };
  for (const Case& c : cases) {
    const auto res = client_->Post("/v1/cards", auth(), c.body, json);
    ASSERT_TRUE(res) << c.name;
    EXPECT_EQ(res->status, 409) << c.name;
    EXPECT_EQ(res->body, c.error) << c.name;
  }
  EXPECT_TRUE(control_sink_.events().empty());
}

TEST_F(AdminApiTest, PostCardForAnUnknownUserIs404) {
  const auto res = client_->Post("/v1/cards", auth(),
                                 R"({"id":"c9","pan":"4111111111111111","user":"ghost","expiry":"2912",)"
                                 R"("status":"active","currency":"392"})",
                                 json);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->body, R"({"error":"user ghost: not found","retryable":false})");
}

TEST_F(AdminApiTest, BlockedCardStatusMakesTheNextAuthorizationAnswer62) {
  ASSERT_EQ(authorize(pan_c1, 1000, 1).rc, core::ResponseCode::approved);
  const auto res = client_->Put("/v1/cards/c1/status", auth(), R"({"status":"blocked"})", json);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, R"({"id":"c1","status":"blocked"})");
  EXPECT_EQ(count_of<core::CardStatusEvent>(control_sink_.events()), 1u);
  EXPECT_EQ(authorize(pan_c1, 1000, 2).rc, core::ResponseCode::blocked_card);
  EXPECT_EQ(core::response_code_text(authorize(pan_c1, 1000, 3).rc), "62");
}

TEST_F(AdminApiTest, CardStatusOfAnUnknownCardIs404) {
  const auto res = client_->Put("/v1/cards/nope/status", auth(), R"({"status":"lost"})", json);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->body, R"({"error":"card nope: not found","retryable":false})");
}

httplib::Headers with_key(httplib::Headers h, const char* key) {
  h.emplace("Idempotency-Key", key);
  return h;
}

TEST_F(AdminApiTest, TopUpChangesTheBalanceOnceAndARetryAnswersAsTheFirstTime) {
  const char* first = R"({"id":"u1","amount":5000,"balance":505000})";
  auto res = client_->Post("/v1/users/u1/balance", with_key(auth(), "k1"), R"({"amount":5000})", json);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, first);
  EXPECT_EQ(core_->read_user(core_->find_user("u1"), t_noon_tokyo).balance, 505000);

  // The same key and the same body (spelt differently): the first answer, nothing applied.
  res = client_->Post("/v1/users/u1/balance", with_key(auth(), "k1"), R"({ "amount" : 5000 })", json);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, first);
  EXPECT_EQ(core_->read_user(core_->find_user("u1"), t_noon_tokyo).balance, 505000);
  EXPECT_EQ(count_of<core::BalanceAdjustedEvent>(shard_sink_.events()), 1u);

  // The same key with another body: 422, nothing applied.
  res = client_->Post("/v1/users/u1/balance", with_key(auth(), "k1"), R"({"amount":7000})", json);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 422);
  EXPECT_EQ(res->body, R"({"error":"Idempotency-Key: already used with a different body","retryable":false})");
  EXPECT_EQ(core_->read_user(core_->find_user("u1"), t_noon_tokyo).balance, 505000);
}

TEST_F(AdminApiTest, RacingRetriesOfTheSameKeysApplyEachKeyOnce) {
  // Two operators' tools retry the same 20 top-ups at once, over two
  // connections: every answer is the key's one answer, and each key moves
  // the balance once.
  constexpr int keys = 20;
  std::array<std::array<std::string, keys>, 2> answers;
  std::array<std::thread, 2> tools;
  for (std::size_t t = 0; t < tools.size(); ++t) {
    tools[t] = std::thread([&, t] {
      httplib::Client client("127.0.0.1", api_->port());
      for (int k = 0; k < keys; ++k) {
        const std::string key = "race-" + std::to_string(k);
        const auto res = client.Post("/v1/users/u1/balance", with_key(auth(), key.c_str()), R"({"amount":100})", json);
        answers[t][static_cast<std::size_t>(k)] = res ? std::to_string(res->status) + " " + res->body : "no answer";
      }
    });
  }
  for (auto& t : tools) t.join();
  for (int k = 0; k < keys; ++k) {
    const auto i = static_cast<std::size_t>(k);
    EXPECT_EQ(answers[0][i], answers[1][i]) << k;
    EXPECT_EQ(answers[0][i].rfind("200 {\"id\":\"u1\",\"amount\":100,\"balance\":", 0), 0u) << answers[0][i];
  }
  EXPECT_EQ(core_->read_user(core_->find_user("u1"), t_noon_tokyo).balance, 500000 + keys * 100);
  EXPECT_EQ(count_of<core::BalanceAdjustedEvent>(shard_sink_.events()), static_cast<std::size_t>(keys));
}

TEST_F(AdminApiTest, NegativeAmountIsAnAdjustmentOnTheUsersShard) {
  const auto res = client_->Post("/v1/users/u2/balance", with_key(auth(), "adj-1"), R"({"amount":-250})", json);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, R"({"id":"u2","amount":-250,"balance":750})");
  EXPECT_EQ(shard_calls(), std::vector<core::ShardId>{core_->shard_of_user(core_->find_user("u2"))});
  EXPECT_EQ(core_->read_user(core_->find_user("u2"), t_noon_tokyo).balance, 750);
}

TEST_F(AdminApiTest, TopUpRefusals) {
  struct Case {
    const char* name;
    const char* path;
    const char* key;  // nullptr: no Idempotency-Key header
    const char* body;
    int status;
    const char* error;
  };
  const Case cases[] = {
      {"no key", "/v1/users/u1/balance", nullptr, R"({"amount":1})", 400,
       R"({"error":"Idempotency-Key: missing header","retryable":false})"},
      {"key too long", "/v1/users/u1/balance", "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
       R"({"amount":1})", 400, R"({"error":"Idempotency-Key: longer than 64 bytes","retryable":false})"},
      {"credit user", "/v1/users/u3/balance", "k", R"({"amount":1})", 400,
       R"j({"error":"amount: the user has no prepaid balance (a credit user)","retryable":false})j"},
      {"unknown user", "/v1/users/ghost/balance", "k", R"({"amount":1})", 404,
       R"({"error":"user ghost: not found","retryable":false})"},
      {"past the range of minor units", "/v1/users/u1/balance", "k", R"({"amount":9223372036854775807})", 400,
       R"({"error":"amount: the balance after it would leave the range of a 64-bit count of minor units",)"
       R"("retryable":false})"},
  };
  for (const Case& c : cases) {
    httplib::Headers h = auth();
    if (c.key != nullptr) h.emplace("Idempotency-Key", c.key);
    const auto res = client_->Post(c.path, h, c.body, json);
    ASSERT_TRUE(res) << c.name;
    EXPECT_EQ(res->status, c.status) << c.name;
    EXPECT_EQ(res->body, c.error) << c.name;
  }
  EXPECT_TRUE(shard_sink_.events().empty());
}

TEST_F(AdminApiTest, ClearingIs501UntilTheLedgerServesIt) {
  const auto res = client_->Post("/v1/clearing", auth(), R"({"rrn":"000000000001"})", "application/x-ndjson");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 501);
  EXPECT_EQ(res->body, R"({"error":"clearing is not available yet: it lands with the ledger's clearing work )"
                       R"((SPEC 8); nothing was applied","retryable":false})");
}

}  // namespace
}  // namespace authswitch::io::testing
