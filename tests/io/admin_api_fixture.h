// A real AdminApi on 127.0.0.1 (an ephemeral port) in front of a real Core,
// and a real httplib::Client, for the HTTP API tests.
//
// The shard executor runs the task inline on the HTTP worker, one task at a
// time (a lock stands in for the shard's thread, and the test thread does
// not authorize while a request is in flight, so the core still has one
// writer at a time), and records which shard was asked for; the Core
// asserts the shard is the owner's. Both sinks record what they get,
// under a lock, since HTTP workers call them.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "io/admin_api.h"
#include "io/http_json.h"
#include "tests/core/core_fixture.h"

namespace authswitch::io::testing {

using core::testing::t_noon_tokyo;

// Two companies so that two shards own something: acme and its u1 on shard 0,
// beta and its u2 on shard 1; u3 (no company, credit) on shard 0.
inline constexpr const char* api_accounts =
    R"({"type":"company","id":"acme","limits":[{"period":"monthly","max":50000000}]}
{"type":"company","id":"beta"}
{"type":"user","id":"u1","company":"acme","balance":500000,"limits":[{"period":"transaction","max":100000},{"period":"daily","max":200000},{"period":"monthly","max":1000000,"anchor_day":20}]}
{"type":"user","id":"u2","company":"beta","balance":1000}
{"type":"user","id":"u3"}
{"type":"card","id":"c1","pan":"4000000000000002","user":"u1","expiry":"2912","status":"active","currency":"392"}
{"type":"card","id":"c2","pan":"4000000000000051","user":"u2","expiry":"2912","status":"active","currency":"392"}
{"type":"card","id":"c3","pan":"4000000000000069","user":"u3","expiry":"2912","status":"active","currency":"392"}
)";
inline constexpr const char* pan_c1 = "4000000000000002";
inline constexpr const char* token = "s3cret-token";
inline constexpr const char* metrics_text = "# TYPE authswitch_test_total counter\nauthswitch_test_total 7\n";

class LockedSink final : public core::EventSink {
 public:
  void on_event(const core::Event& e) override {
    std::lock_guard lock(mutex_);
    events_.push_back(e);
  }
  [[nodiscard]] std::vector<core::Event> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<core::Event> events_;
};

class AdminApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    core_ = core::testing::make_core(api_accounts, "Asia/Tokyo", 2);
    ASSERT_TRUE(core_);
    AdminApiOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.token = token;
    o.core = core_.get();
    o.run_on_shard = [this](core::ShardId shard, const ShardFn& fn) {
      {
        std::lock_guard lock(mutex_);
        shard_calls_.push_back(shard);
      }
      std::lock_guard shard_thread(shard_thread_);
      fn(shard_sink_);
    };
    o.control_sink = &control_sink_;
    o.metrics_text = [] { return std::string(metrics_text); };
    o.ready = [this] { return ready_.load(); };
    o.now = [] { return t_noon_tokyo; };
    adjust(o);
    api_ = std::make_unique<AdminApi>(std::move(o));
    const std::string error = api_->start();
    ASSERT_EQ(error, "");
    ASSERT_NE(api_->port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", api_->port());
  }

  // A test's changes to the options, before the API starts.
  virtual void adjust(AdminApiOptions&) {}

  void TearDown() override {
    client_.reset();
    if (api_) api_->stop();
  }

  [[nodiscard]] static httplib::Headers auth() { return {{"Authorization", std::string("Bearer ") + token}}; }

  // Authorizes `amount` on `pan` as the owning shard's thread would.
  core::AuthResponse authorize(const char* pan, std::int64_t amount, std::uint32_t stan) {
    const core::AuthRequest r = core::testing::request(pan, amount, stan);
    core::NullSink sink;
    return core_->authorize(core_->route(r), r, sink);
  }

  [[nodiscard]] std::vector<core::ShardId> shard_calls() const {
    std::lock_guard lock(mutex_);
    return shard_calls_;
  }

  std::unique_ptr<core::Core> core_;
  LockedSink control_sink_, shard_sink_;
  std::atomic<bool> ready_{false};
  std::unique_ptr<AdminApi> api_;
  std::unique_ptr<httplib::Client> client_;

 private:
  mutable std::mutex mutex_;
  std::vector<core::ShardId> shard_calls_;
  std::mutex shard_thread_;
};

}  // namespace authswitch::io::testing
