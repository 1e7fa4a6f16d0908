// Refusals of the HTTP API (SPEC 6): 401 before the body is read, 404, 405,
// 400 naming the field, 413, all as {"error":...,"retryable":...}.
#include "tests/io/admin_api_fixture.h"
#include "tests/support/http_exchange.h"

namespace authswitch::io::testing {
namespace {

constexpr const char* json = "application/json";

struct WriteRoute {
  const char* method;
  const char* path;
  const char* body;
};
constexpr WriteRoute write_routes[] = {
    {"PUT", "/v1/users/u1/limits", R"({"limits":[]})"},
    {"PUT", "/v1/companies/acme/limits", R"({"limits":[]})"},
    {"POST", "/v1/cards",
     R"({"id":"c9","pan":"4111111111111111","user":"u1","expiry":"2912","status":"active","currency":"392"})"},
    {"PUT", "/v1/cards/c1/status", R"({"status":"blocked"})"},
    {"POST", "/v1/users/u1/balance", R"({"amount":5000})"},
    {"POST", "/v1/clearing", "{}"},
};

TEST_F(AdminApiTest, EveryWriteWithoutTheRightTokenIs401AndChangesNothing) {
  const std::vector<std::pair<const char*, httplib::Headers>> credentials = {
      {"no header", {}},
      {"wrong token", {{"Authorization", "Bearer s3cret-tokem"}}},
      {"token prefix", {{"Authorization", "Bearer s3cret"}}},
      {"token plus more", {{"Authorization", "Bearer s3cret-token2"}}},
      {"other scheme", {{"Authorization", std::string("Basic ") + token}}},
      {"bare token", {{"Authorization", token}}},
  };
  for (const WriteRoute& r : write_routes) {
    for (const auto& [name, headers] : credentials) {
      httplib::Headers h = headers;
      h.emplace("Idempotency-Key", "k1");
      const auto res = std::string_view(r.method) == "PUT" ? client_->Put(r.path, h, r.body, json)
                                                           : client_->Post(r.path, h, r.body, json);
      ASSERT_TRUE(res) << r.path << " " << name;
      EXPECT_EQ(res->status, 401) << r.path << " " << name;
      EXPECT_EQ(res->body,
                R"({"error":"Authorization: a write needs \"Bearer\" and the admin token","retryable":false})")
          << r.path << " " << name;
      EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer");
    }
  }
  EXPECT_TRUE(control_sink_.events().empty());
  EXPECT_TRUE(shard_sink_.events().empty());
  EXPECT_TRUE(shard_calls().empty());
}

TEST_F(AdminApiTest, TheSchemeIsCaseInsensitive) {
  const auto res = client_->Put("/v1/cards/c1/status", {{"Authorization", std::string("bearer ") + token}},
                                R"({"status":"lost"})", json);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(AdminApiTest, A401IsAnsweredBeforeTheBodyIsSent) {
  // Headers promise a megabyte that never comes: a server that read the body
  // first would wait for it and answer nothing (or time out), not 401.
  const std::string got = test::http_exchange(api_->port(),
                                              "PUT /v1/users/u1/limits HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              "Content-Type: application/json\r\nContent-Length: 1048576\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 401", 0), 0u) << got;
  EXPECT_NE(got.find("Connection: close"), std::string::npos) << got;
  EXPECT_NE(got.find(R"("retryable":false)"), std::string::npos) << got;
}

TEST_F(AdminApiTest, Expect100ContinueWithoutTokenGets401InsteadOf100) {
  const std::string got = test::http_exchange(api_->port(),
                                              "POST /v1/cards HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
                                              "Content-Type: application/json\r\nContent-Length: 1048576\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 401", 0), 0u) << got;
  EXPECT_EQ(got.find("100 Continue"), std::string::npos) << got;
  // The server holds the socket open for a while after this answer: without
  // a length, a client could not tell the body was whole until then.
  const std::string body = R"({"error":"Authorization: a write needs \"Bearer\" and the admin token","retryable":false})";
  EXPECT_NE(got.find("\r\nContent-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos) << got;
  EXPECT_EQ(got.substr(got.find("\r\n\r\n") + 4), body) << got;
}

TEST_F(AdminApiTest, UnknownRouteIs404AndWrongMethodIs405WithAllow) {
  struct Case {
    const char* method;
    const char* path;
    int status;
    const char* allow;
    const char* body;
  };
  const Case cases[] = {
      {"GET", "/v2/users/u1", 404, "", R"({"error":"no such route: GET /v2/users/u1","retryable":false})"},
      {"GET", "/v1/users/u1/cards", 404, "",
       R"({"error":"no such route: GET /v1/users/u1/cards","retryable":false})"},
      {"GET", "/v1/users/", 404, "", R"({"error":"no such route: GET /v1/users/","retryable":false})"},
      {"GET", "/v1/users/u1/", 404, "", R"({"error":"no such route: GET /v1/users/u1/","retryable":false})"},
      {"POST", "/v1/users//balance", 404, "",
       R"({"error":"no such route: POST /v1/users//balance","retryable":false})"},
      {"GET", "/v1/cards", 405, "POST",
       R"({"error":"method GET not allowed here; allowed: POST","retryable":false})"},
      {"DELETE", "/v1/users/u1", 405, "GET",
       R"({"error":"method DELETE not allowed here; allowed: GET","retryable":false})"},
      {"POST", "/v1/users/u1/limits", 405, "PUT",
       R"({"error":"method POST not allowed here; allowed: PUT","retryable":false})"},
      {"GET", "/v1/users/u1/balance", 405, "POST",
       R"({"error":"method GET not allowed here; allowed: POST","retryable":false})"},
      {"POST", "/healthz", 405, "GET", R"({"error":"method POST not allowed here; allowed: GET","retryable":false})"},
  };
  for (const Case& c : cases) {
    httplib::Result res = [&] {
      const std::string_view m = c.method;
      if (m == "GET") return client_->Get(c.path, auth());
      if (m == "POST") return client_->Post(c.path, auth(), "{}", json);
      return client_->Delete(c.path, auth());
    }();
    ASSERT_TRUE(res) << c.method << " " << c.path;
    EXPECT_EQ(res->status, c.status) << c.method << " " << c.path;
    EXPECT_EQ(res->get_header_value("Allow"), c.allow) << c.method << " " << c.path;
    EXPECT_EQ(res->body, c.body) << c.method << " " << c.path;
  }
}

TEST_F(AdminApiTest, BadBodiesAre400NamingTheField) {
  struct Case {
    const char* method;
    const char* path;
    const char* body;
    const char* error;
  };
  const Case cases[] = {
      {"PUT", "/v1/users/u1/limits", "{\"limits\":[", "body: not JSON"},
      {"PUT", "/v1/users/u1/limits", R"({"limits":[]} trailing)", "body: not JSON"},
      {"PUT", "/v1/users/u1/limits", "[]", "body: must be a JSON object"},
      {"PUT", "/v1/users/u1/limits", "{}", "limits: missing"},
      {"PUT", "/v1/users/u1/limits", R"({"limit":[]})", "limit: unknown field"},
      {"PUT", "/v1/users/u1/limits", R"({"limits":{}})", "limits: must be an array"},
      {"PUT", "/v1/users/u1/limits", R"({"limits":[{"period":"hourly","max":1}]})",
       "period: must be transaction, daily, weekly, monthly or total"},
      {"PUT", "/v1/users/u1/limits", R"({"limits":[{"period":"daily"}]})", "max: missing"},
      {"PUT", "/v1/users/u1/limits", R"({"limits":[{"period":"daily","max":-1}]})",
       "max: must be an integer >= 0 (minor units)"},
      {"PUT", "/v1/users/u1/limits", R"({"limits":[{"period":"daily","max":1,"anchor_day":3}]})",
       "anchor_day: only for monthly limits"},
      {"PUT", "/v1/users/u1/limits", R"({"limits":[{"period":"monthly","max":1,"anchor_day":29}]})",
       "anchor_day: must be 1 to 28 or \"last\""},
      {"PUT", "/v1/users/u1/limits", R"({"limits":[{"period":"daily","max":1,"reset_time":"24:00"}]})",
       "reset_time: must be \"HH:MM\""},
      {"PUT", "/v1/companies/acme/limits", R"({"limits":[{"period":"daily","max":1},{"period":"daily","max":2}]})",
       "limits: two limits with the same period and anchors"},
      {"POST", "/v1/cards",
       R"({"pan":"4111111111111111","user":"u1","expiry":"2912","status":"active","currency":"392"})",
       "id: missing"},
      {"POST", "/v1/cards",
       R"({"id":"c9","user":"u1","expiry":"2912","status":"active","currency":"392"})",
       "pan: missing"},
      {"POST", "/v1/cards",
       R"({"id":"c9","pan":"41111111111x1111","user":"u1","expiry":"2912","status":"active","currency":"392"})",
       "pan: must be 12 to 19 digits"},
      {"POST", "/v1/cards",
       R"({"id":"c9","pan":"4111111111111111","user":"u1","expiry":"2913","status":"active","currency":"392"})",
       "expiry: month must be 01 to 12"},
      {"POST", "/v1/cards", R"({"id":"c9","pan":"4111111111111111","user":"u1","expiry":"12/29","currency":"392"})",
       "expiry: must be YYMM"},
      {"POST", "/v1/cards",
       R"({"id":"c9","pan":"4111111111111111","user":"u1","expiry":"2912","status":"active","currency":"JPY"})",
       "currency: must be 3 digits (ISO 4217)"},
      {"POST", "/v1/cards", R"({"id":"c9","pan":"4111111111111111","user":"u1","expiry":"2912","status":"active"})",
       "currency: missing"},
      {"POST", "/v1/cards", R"({"id":"c9","pan":"4111111111111111","user":"u1","expiry":"2912","currency":"392"})",
       "status: missing"},
      {"POST", "/v1/cards",
       R"({"id":"c9","pan":"4111111111111111","user":"u1","expiry":"2912","currency":"392","status":"frozen"})",
       "status: must be active, blocked, lost or stolen"},
      {"POST", "/v1/cards",
       R"({"type":"user","id":"c9","pan":"4111111111111111","user":"u1","expiry":"2912","status":"active",)"
       R"("currency":"392"})",
       "type: must be card (or left out)"},
      {"POST", "/v1/cards",
       R"({"id":"c9","pan":4111111111111111,"user":"u1","expiry":"2912","status":"active","currency":"392"})",
       "pan: must be a string"},
      {"PUT", "/v1/cards/c1/status", R"({"status":"frozen"})", "status: must be active, blocked, lost or stolen"},
      {"PUT", "/v1/cards/c1/status", "{}", "status: missing"},
      {"POST", "/v1/users/u1/balance", R"({"amount":"5000"})", "amount: must be a non-zero integer (minor units)"},
      {"POST", "/v1/users/u1/balance", R"({"amount":0})", "amount: must be a non-zero integer (minor units)"},
      {"POST", "/v1/users/u1/balance", R"({"amount":1.5})", "amount: must be a non-zero integer (minor units)"},
      {"POST", "/v1/users/u1/balance", R"({"amount":1,"currency":"392"})", "currency: unknown field"},
      {"POST", "/v1/users/u1/balance", "", "body: not JSON"},
      {"POST", "/v1/users/u1/balance", R"({"amount":99999999999999999999})",
       "amount: out of range for a count of minor units (signed 64 bits)"},
      {"POST", "/v1/users/u1/balance", R"({"amount":5,"amount":500000})", "amount: appears twice"},
      {"POST", "/v1/cards",
       R"({"id":"c9","pan":"4111111111111111","user":"u1","expiry":"2912","status":"active","currency":"392",)"
       R"("status":"lost"})",
       "status: appears twice"},
      {"PUT", "/v1/users/u1/limits", R"({"limits":[{"period":"daily","max":1,"max":2}]})",
       "max: appears twice in one limit"},
      {"PUT", "/v1/users/u1/limits", R"({"limits":[{"period":"daily","max":99999999999999999999}]})",
       "max: out of range for a count of minor units (signed 64 bits)"},
  };
  httplib::Headers h = auth();
  h.emplace("Idempotency-Key", "k1");
  for (const Case& c : cases) {
    const auto res = std::string_view(c.method) == "PUT" ? client_->Put(c.path, h, c.body, json)
                                                         : client_->Post(c.path, h, c.body, json);
    ASSERT_TRUE(res) << c.body;
    EXPECT_EQ(res->status, 400) << c.body;
    EXPECT_EQ(res->body, json_error(c.error, false)) << c.body;
    // A bad PAN is described, never echoed.
    EXPECT_EQ(res->body.find("41111111111"), std::string::npos) << c.body;
  }
  EXPECT_TRUE(control_sink_.events().empty());
  EXPECT_TRUE(shard_sink_.events().empty());
}

TEST_F(AdminApiTest, ABodyAboveTheLimitIs413AsJson) {
  const std::string big = R"({"limits":[],"pad":")" + std::string(100 * 1024, 'x') + "\"}";
  const auto res = client_->Put("/v1/users/u1/limits", auth(), big, json);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(res->body, R"({"error":"body: larger than 65536 bytes","retryable":false})");
}

}  // namespace
}  // namespace authswitch::io::testing
