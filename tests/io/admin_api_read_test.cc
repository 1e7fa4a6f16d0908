// GET endpoints of the HTTP API (SPEC 6): health, readiness, metrics, users
// and companies with their limits' current and next periods.
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>

#include "tests/io/admin_api_fixture.h"
#include "tests/support/http_exchange.h"

namespace authswitch::io::testing {
namespace {

TEST_F(AdminApiTest, HealthzAnswersOkWithoutToken) {
  const auto res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, R"({"status":"ok"})");
}

TEST_F(AdminApiTest, ReadyzIs503WhileNotReady) {
  auto res = client_->Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->body, R"({"error":"not ready: recovery running, a link down (see authswitch_link_up) or stopping",)"
                       R"("retryable":true})");
  ready_.store(true);
  res = client_->Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, R"({"status":"ready"})");
  ready_.store(false);  // a link went down: not ready again
  res = client_->Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
}

// Scrapers and browsers keep their connections open between requests, and
// cpp-httplib gives every open connection a worker of its own.
class AdminApiKeepAliveTest : public AdminApiTest {
 protected:
  // Were the third request served only by a worker an idle connection gave
  // back, both would not be open any more when its answer came.
  void adjust(AdminApiOptions& o) override { o.keep_alive = std::chrono::seconds(10); }
};

TEST_F(AdminApiKeepAliveTest, TwoIdleKeepAliveConnectionsDoNotHoldOffAnotherClient) {
  std::array<int, 2> idle{};
  for (int& fd : idle) {
    fd = test::connect_loopback(api_->port());
    ASSERT_GE(fd, 0);
    const std::string got = test::http_exchange_on(fd, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    ASSERT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
  }
  const std::string third = test::http_get(api_->port(), "/healthz");
  EXPECT_NE(third.find(" 200 "), std::string::npos) << third;
  for (const int fd : idle) {
    char c = 0;
    const ssize_t n = ::recv(fd, &c, 1, MSG_DONTWAIT);
    EXPECT_TRUE(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) << "an idle connection was closed (" << n << ")";
    ::close(fd);
  }
}

TEST_F(AdminApiTest, MetricsReturnsTheRenderersTextAsPrometheusText) {
  const auto res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, metrics_text);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4");
}

TEST_F(AdminApiTest, UserShowsBalanceHoldsAndEachLimitsCurrentAndNextPeriod) {
  ASSERT_EQ(authorize(pan_c1, 12000, 1).rc, core::ResponseCode::approved);
  const auto res = client_->Get("/v1/users/u1");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(res->body,
            R"({"id":"u1","company":"acme","balance":500000,"open_holds":12000,"limits":[)"
            R"({"period":"transaction","max":100000},)"
            R"({"period":"daily","max":200000,)"
            R"("current":{"start":"2026-11-23T00:00:00+09:00","end":"2026-11-24T00:00:00+09:00","total":12000},)"
            R"("next":{"start":"2026-11-24T00:00:00+09:00","end":"2026-11-25T00:00:00+09:00","total":0}},)"
            R"({"period":"monthly","max":1000000,"anchor_day":20,)"
            R"("current":{"start":"2026-11-20T00:00:00+09:00","end":"2026-12-20T00:00:00+09:00","total":12000},)"
            R"("next":{"start":"2026-12-20T00:00:00+09:00","end":"2027-01-20T00:00:00+09:00","total":0}}]})");
}

TEST_F(AdminApiTest, CreditUserWithoutCompanyShowsNulls) {
  const auto res = client_->Get("/v1/users/u3");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, R"({"id":"u3","company":null,"balance":null,"open_holds":0,"limits":[]})");
}

TEST_F(AdminApiTest, CompanyShowsItsLimitsWithTotals) {
  ASSERT_EQ(authorize(pan_c1, 12000, 1).rc, core::ResponseCode::approved);
  const auto res = client_->Get("/v1/companies/acme");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body,
            R"({"id":"acme","limits":[{"period":"monthly","max":50000000,)"
            R"("current":{"start":"2026-11-01T00:00:00+09:00","end":"2026-12-01T00:00:00+09:00","total":12000},)"
            R"("next":{"start":"2026-12-01T00:00:00+09:00","end":"2027-01-01T00:00:00+09:00","total":0}}]})");
}

TEST_F(AdminApiTest, UnknownUserAndCompanyAre404) {
  struct Case {
    const char* path;
    const char* body;
  };
  const Case cases[] = {
      {"/v1/users/nobody", R"({"error":"user nobody: not found","retryable":false})"},
      {"/v1/companies/nobody", R"({"error":"company nobody: not found","retryable":false})"},
      // A company id is not a user id.
      {"/v1/users/acme", R"({"error":"user acme: not found","retryable":false})"},
  };
  for (const Case& c : cases) {
    const auto res = client_->Get(c.path);
    ASSERT_TRUE(res) << c.path;
    EXPECT_EQ(res->status, 404) << c.path;
    EXPECT_EQ(res->body, c.body) << c.path;
  }
}

}  // namespace
}  // namespace authswitch::io::testing
