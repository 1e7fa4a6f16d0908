// The HTTP API's writes against the switch's real write-ahead log (SPEC 6,
// 7): a write is answered only once the log released its record; a log that
// does not keep it in time, or fails, gets 503 {"retryable":true}; a log
// queue without room refuses the write before the core is touched.
#include <gtest/gtest.h>
#include <httplib.h>

#include "io/admin_api.h"
#include "io/admin_write_log.h"
#include "core/pan.h"
#include "ledger/wal_event_sink.h"
#include "tests/io/switch_test_support.h"

namespace authswitch::test {
namespace {

constexpr const char* token = "t0ken";

class SwitchAdminWrite : public ::testing::Test {
 protected:
  // A write waits for its record's fdatasync; on a loaded machine that can
  // take seconds, so a test that wants the write to succeed waits long.
  explicit SwitchAdminWrite(std::chrono::milliseconds write_timeout = std::chrono::seconds(30))
      : dir_(temp_dir("admin-write")), sw_(test_config(dir_, io::Durability::sync)) {
    io::SwitchRuntime& rt = sw_.runtime();
    write_log_ = std::make_unique<io::WalWriteLog>(rt.wal());
    io::AdminApiOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.token = token;
    o.core = &rt.core();
    o.run_on_shard = [&rt](core::ShardId shard, const io::ShardFn& fn) {
      rt.run_on_shard(shard, [&fn](core::Core&, core::ShardId, core::EventSink& sink) { fn(sink); });
    };
    o.control_sink = &rt.control_sink();
    o.write_log = write_log_.get();
    o.write_timeout = write_timeout;
    api_ = std::make_unique<io::AdminApi>(std::move(o));
    EXPECT_EQ(api_->start(), "");
    client_ = std::make_unique<httplib::Client>("127.0.0.1", api_->port());
    client_->set_read_timeout(std::chrono::seconds(60));  // beyond the longest write_timeout
  }
  ~SwitchAdminWrite() override {
    client_.reset();
    api_->stop();
    (void)sw_.stop();
    std::filesystem::remove_all(dir_);
  }

  [[nodiscard]] static httplib::Headers auth(const std::string& key = {}) {
    httplib::Headers h{{"Authorization", std::string("Bearer ") + token}};
    if (!key.empty()) h.emplace("Idempotency-Key", key);
    return h;
  }
  httplib::Result post_card(const std::string& id, const std::string& pan) {
    return client_->Post("/v1/cards", auth(),
                         R"({"id":")" + id + R"(","pan":")" + pan +
                             R"(","user":"u2","expiry":"3012","status":"active","currency":"392"})",
                         "application/json");
  }
  const ledger::WalEventSink& control() {
    return dynamic_cast<const ledger::WalEventSink&>(sw_.runtime().control_sink());
  }

  std::filesystem::path dir_;
  RunningSwitch sw_;
  std::unique_ptr<io::WalWriteLog> write_log_;
  std::unique_ptr<io::AdminApi> api_;
  std::unique_ptr<httplib::Client> client_;
};

// The log does not keep up (stalled, failed, full): each 503 waits this long.
class SwitchAdminWriteRefused : public SwitchAdminWrite {
 protected:
  SwitchAdminWriteRefused() : SwitchAdminWrite(std::chrono::milliseconds(300)) {}
};

TEST_F(SwitchAdminWrite, AWriteIsAnsweredOnlyAfterItsRecordIsDurable) {
  const auto res = post_card("new1", "4111111111111111");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201) << res->body;
  // Read after the answer: the record it waited for is durable (sync).
  ASSERT_GT(control().last_ticket(), 0u);
  EXPECT_TRUE(sw_.runtime().wal().is_released(control().producer(), control().last_ticket()));

  const auto top_up = client_->Post("/v1/users/u0/balance", auth("k1"), R"({"amount":100})", "application/json");
  ASSERT_TRUE(top_up);
  EXPECT_EQ(top_up->status, 200) << top_up->body;
}

TEST_F(SwitchAdminWriteRefused, ALogThatDoesNotKeepTheRecordInTimeIs503Retryable) {
  sw_.runtime().wal().stall_for_test(true);
  const auto res = post_card("new2", "4111111111111129");
  sw_.runtime().wal().stall_for_test(false);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503) << res->body;
  EXPECT_NE(res->body.find(R"("retryable":true)"), std::string::npos) << res->body;

  // A top-up on a shard thread: same, and its retry with the same key, once
  // the log keeps up, is answered as the first time (one balance change).
  sw_.runtime().wal().stall_for_test(true);
  const auto first = client_->Post("/v1/users/u0/balance", auth("k2"), R"({"amount":100})", "application/json");
  sw_.runtime().wal().stall_for_test(false);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 503) << first->body;
  EXPECT_NE(first->body.find(R"("retryable":true)"), std::string::npos) << first->body;
  // An fdatasync on a loaded machine can outlast the 300 ms too, which is
  // the same retryable 503: retry as a client would, until it is answered.
  int status = 0;
  std::string body;
  for (int attempt = 0; attempt < 50; ++attempt) {
    const auto retry = client_->Post("/v1/users/u0/balance", auth("k2"), R"({"amount":100})", "application/json");
    ASSERT_TRUE(retry);
    status = retry->status;
    body = retry->body;
    if (status != 503) break;
    ASSERT_NE(body.find(R"("retryable":true)"), std::string::npos) << body;
  }
  EXPECT_EQ(status, 200) << body;
  EXPECT_NE(body.find(R"("balance":500100)"), std::string::npos) << body;
}

TEST_F(SwitchAdminWriteRefused, AFailedLogIs503Retryable) {
  sw_.runtime().wal().inject_write_error_for_test(EIO);
  const auto res = client_->Put("/v1/cards/c4/status", auth(), R"({"status":"blocked"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503) << res->body;
  EXPECT_NE(res->body.find(R"("retryable":true)"), std::string::npos) << res->body;
  EXPECT_TRUE(sw_.runtime().wal().failed());
}

TEST_F(SwitchAdminWriteRefused, NoRoomInTheLogQueueRefusesTheWriteBeforeTheCore) {
  io::SwitchRuntime& rt = sw_.runtime();
  rt.wal().stall_for_test(true);
  // Fill the control producer's queue on its own thread's behalf: the API
  // serialises control-sink calls, and none runs now.
  const ledger::ProducerId p = control().producer();
  const std::byte payload[8] = {};
  while (rt.wal().room(p) > 0) {
    ASSERT_TRUE(rt.wal().append(p, static_cast<std::uint16_t>(io::SwitchRecord::link_up), payload).ok());
  }
  const auto res = client_->Put("/v1/cards/c6/status", auth(), R"({"status":"blocked"})", "application/json");
  rt.wal().stall_for_test(false);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503) << res->body;
  EXPECT_NE(res->body.find("nothing was applied"), std::string::npos) << res->body;
  const core::CardEntry* c6 = rt.core().find_card_by_pan(*core::parse_pan(core::demo_pan(6)));
  ASSERT_NE(c6, nullptr);
  EXPECT_EQ(static_cast<core::CardStatus>(c6->status), core::CardStatus::active) << "the refused write moved the core";
}

}  // namespace
}  // namespace authswitch::test
