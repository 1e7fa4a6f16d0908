// Graceful shutdown in SPEC 0's order under load: a client pipelines
// thousands of requests, the switch is stopped in the middle (in-process,
// and as the built `authswitch serve` child with SIGTERM), and every request
// the switch read was answered: the log's `received` records match the
// client's decided answers, its `response_written` records every answer.
// The same child harness shows the checkpointer's metrics on /metrics, and
// /readyz answering 503 while the stop drains.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "tests/io/switch_test_support.h"
#include "tests/support/http_exchange.h"
#include "tests/support/loopback_port.h"
#include "tests/io/wait_until.h"

namespace authswitch::test {
namespace {

constexpr int pipelined = 20'000;

struct LoadResult {
  std::uint64_t answers = 0;
  // 91s: answered by the loop at max_inflight (no received record, no
  // decision), or by a worker whose log queue had no room (received, no
  // decision: a disk stall of a few hundred ms under a parallel ctest does it).
  std::uint64_t immediate = 0;
};

// Sends `pipelined` requests in bursts while a reader counts answers until
// the switch closes the connection.
class PipelinedLoad {
 public:
  explicit PipelinedLoad(std::uint16_t port) : client_(port) {
    EXPECT_TRUE(client_.connected());
    reader_ = std::thread([this] {
      while (auto r = client_.read(std::chrono::seconds(60))) {
        if (r->count(39) && r->at(39) == "91") ++result_.immediate;
        answers_.fetch_add(1, std::memory_order_release);
      }
    });
    sender_ = std::thread([this] {
      std::string burst;
      for (int i = 0; i < pipelined; ++i) {
        burst += frame_of(auth_request(static_cast<std::size_t>(i % 1000), 100, static_cast<std::uint32_t>(i + 1)));
        if (burst.size() > 16 * 1024) {
          client_.send_bytes(burst);
          burst.clear();
        }
      }
      client_.send_bytes(burst);
    });
  }
  std::uint64_t answers() const { return answers_.load(std::memory_order_acquire); }
  LoadResult finish() {
    sender_.join();
    reader_.join();
    result_.answers = answers_.load();
    return result_;
  }

 private:
  Client client_;
  std::atomic<std::uint64_t> answers_{0};
  LoadResult result_;
  std::thread reader_;
  std::thread sender_;
};

// Every request read got exactly one answer: each was decided (a decision
// record) or answered 91 without one, by the loop or by a worker whose log
// queue was full. Every request read is recorded as received, those the
// loop sheds too, so a request read and never answered breaks the first
// equality, and one decided and never answered the third.
void expect_every_read_request_answered(const std::filesystem::path& dir, const LoadResult& load) {
  const auto counts = count_records(dir);
  const std::uint64_t received = count_of(counts, io::SwitchRecord::received);
  const std::uint64_t decisions = count_of(counts, ledger::event_format::type_decision);
  EXPECT_GT(load.answers, 0u);
  EXPECT_EQ(received, load.answers) << "a request read was not answered";
  EXPECT_EQ(count_of(counts, io::SwitchRecord::response_written), load.answers);
  EXPECT_EQ(decisions + load.immediate, load.answers);
}

TEST(SwitchShutdown, StopInTheMiddleOfALoadAnswersEveryRequestRead) {
  const auto dir = temp_dir("stop");
  LoadResult result;
  {
    RunningSwitch sw(test_config(dir, io::Durability::async));
    PipelinedLoad load(sw.port());
    ASSERT_TRUE(wait_until([&] { return load.answers() >= 1000; }));
    EXPECT_EQ(sw.stop(), "");
    result = load.finish();
  }
  // Usually far fewer than `pipelined`: the stop lands mid-stream. Not
  // asserted (no timings in tests); the counts below hold either way.
  ::testing::Test::RecordProperty("answers", std::to_string(result.answers));
  expect_every_read_request_answered(dir, result);
  std::filesystem::remove_all(dir);
}

struct Child {
  pid_t pid = -1;
  int out = -1;  // its stdout
  std::string text;
  bool wait_for_line(const std::string& needle) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (text.find(needle) == std::string::npos) {
      if (std::chrono::steady_clock::now() > give_up) return false;
      pollfd p{out, POLLIN, 0};
      if (::poll(&p, 1, 1000) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(out, buf, sizeof(buf));
      if (n <= 0) return false;
      text.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }
  int wait_exit() {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

Child spawn_serve(const std::filesystem::path& config) {
  int pipe_fds[2];
  EXPECT_EQ(::pipe(pipe_fds), 0);
  Child c;
  c.pid = ::fork();
  if (c.pid == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::close(pipe_fds[0]);
    const std::string binary = std::string(AUTHSWITCH_BINARY_DIR) + "/authswitch";
    ::execl(binary.c_str(), binary.c_str(), "serve", "--config", config.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  c.out = pipe_fds[0];
  return c;
}

// A config for the built `serve`: one listen link on `port`, the API on
// `api_port`, the log in DIR/wal with `wal_extra` added to its object.
// `top_extra`, if given, is more top-level keys, each with a trailing comma.
std::filesystem::path write_serve_config(const std::filesystem::path& dir, std::uint16_t port,
                                         std::uint16_t api_port, const std::string& wal_extra = "",
                                         const std::string& top_extra = "") {
  const auto config = dir / "config.json";
  std::ofstream f(config);
  f << R"({"links":[{"name":"net","mode":"listen","host":"127.0.0.1","port":)" << port
    << R"(,"echo_interval_s":0}],"cores":{"io":[],"auth":[]},"wal":{"dir":"wal","durability":"sync")" << wal_extra
    << "}," << top_extra << R"("admin":{"listen":"127.0.0.1:)" << api_port << R"("}})";
  return config;
}

TEST(SwitchShutdown, SigtermUnderLoadExitsZeroAndAnswersEveryRequestRead) {
  const auto dir = temp_dir("sigterm");
  const auto [port, api_port] = two_free_ports();
  Child child = spawn_serve(write_serve_config(dir, port, api_port));
  ASSERT_TRUE(child.wait_for_line("HTTP API on")) << child.text;
  // serve starts the operators' API once recovery is done and the links are
  // up (SPEC 6): ready at once, and /metrics carries the link's series.
  EXPECT_NE(http_get(api_port, "/readyz").find(" 200 "), std::string::npos);
  const std::string metrics = http_get(api_port, "/metrics");
  EXPECT_NE(metrics.find("authswitch_link_up{link=\"net\"} 1"), std::string::npos);
  // The core's own counters are sampled at scrape time: the table's 91s by reason.
  EXPECT_NE(metrics.find("authswitch_txn_full{reason=\"holds\"} 0"), std::string::npos) << metrics;
  LoadResult result;
  {
    PipelinedLoad load(port);
    ASSERT_TRUE(wait_until([&] { return load.answers() >= 1000; }));
    ASSERT_EQ(::kill(child.pid, SIGTERM), 0);
    result = load.finish();
  }
  EXPECT_EQ(child.wait_exit(), 0);
  (void)child.wait_for_line("stopped cleanly");
  EXPECT_NE(child.text.find("stopped cleanly"), std::string::npos) << child.text;
  ::close(child.out);
  expect_every_read_request_answered(dir / "wal", result);
  std::filesystem::remove_all(dir);
}

// SPEC 6 / README: /readyz answers 503 while a SIGTERM's graceful stop
// runs, not only once it is over. serve keeps its API up until every
// connection has drained. A peer that took its answers and keeps its
// connection open holds the drain in the switch's linger (up to
// switch_linger_ms): the test closes it only after seeing the 503.
TEST(SwitchShutdown, ReadyzAnswers503WhileASigtermDrainsTheConnections) {
  const auto dir = temp_dir("sigterm-readyz");
  const auto [port, api_port] = two_free_ports();
  Child child = spawn_serve(write_serve_config(dir, port, api_port));
  ASSERT_TRUE(child.wait_for_line("HTTP API on")) << child.text;
  ASSERT_NE(http_get(api_port, "/readyz").find(" 200 "), std::string::npos);
  auto peer = std::make_unique<Client>(port);
  ASSERT_EQ(peer->roundtrip(auth_request(0, 1000, 1)).at(39), "00");
  ASSERT_EQ(::kill(child.pid, SIGTERM), 0);
  // 200 until the signal is taken; then 503, or nothing at all if the API
  // went down with the drain still running.
  std::string answer;
  EXPECT_TRUE(wait_until([&] {
    answer = http_get(api_port, "/readyz");
    return answer.find(" 200 ") == std::string::npos;
  }));
  EXPECT_NE(answer.find(" 503 "), std::string::npos) << "/readyz during the drain: \"" << answer << "\"";
  EXPECT_TRUE(peer->closed_by_peer());  // the switch wrote everything and sent FIN
  peer.reset();                         // which ends its linger, and the stop goes on
  EXPECT_EQ(child.wait_exit(), 0);
  (void)child.wait_for_line("stopped cleanly");
  EXPECT_NE(child.text.find("stopped cleanly"), std::string::npos) << child.text;
  ::close(child.out);
  std::filesystem::remove_all(dir);
}

// A gauge's value in a Prometheus text page, or -1 when the line is missing.
// The operator sees the checkpointer at work on /metrics: up, snapshots
// written every snapshot_every records, and its lag back to 0 once the load
// stops (a lag that only grows would mean start-up replays ever more log).
TEST(SwitchMetrics, TheCheckpointerIsUpWritesSnapshotsAndCatchesUp) {
  const auto dir = temp_dir("ckpt-metrics");
  const auto [port, api_port] = two_free_ports();
  Child child = spawn_serve(write_serve_config(dir, port, api_port, R"(,"snapshot_every":500)"));
  ASSERT_TRUE(child.wait_for_line("HTTP API on")) << child.text;
  {
    Client c(port);
    ASSERT_TRUE(c.connected());
    for (std::uint32_t i = 1; i <= 600; ++i) ASSERT_EQ(c.roundtrip(auth_request(i % 1000, 100, i)).at(39), "00");
  }
  std::string page;
  EXPECT_TRUE(wait_until([&] {
    page = http_get(api_port, "/metrics");
    return metric_value(page, "authswitch_checkpointer_up") == 1 &&
           metric_value(page, "authswitch_snapshots_written") >= 1 &&
           metric_value(page, "authswitch_snapshot_lag_records") == 0;
  })) << page;
  EXPECT_GE(metric_value(page, "authswitch_snapshot_covered_sequence"), 500);
  EXPECT_GE(metric_value(page, "authswitch_snapshot_seconds"), 0);
  ASSERT_EQ(::kill(child.pid, SIGTERM), 0);
  EXPECT_EQ(child.wait_exit(), 0);
  ::close(child.out);
  std::filesystem::remove_all(dir);
}

// SPEC 4 through serve's HTTP API: with "clock": "message" a user's
// periods are presented at the latest field 7 decided (40 days ago here),
// so the day of the request shows its total; the system clock's day would
// show 0.
TEST(ServeApi, WithTheMessageClockAUserShowsTheDayOfTheLatestField7) {
  const auto dir = temp_dir("serve-message-clock");
  const auto [port, api_port] = two_free_ports();
  Child child = spawn_serve(write_serve_config(dir, port, api_port, "", R"("clock":"message",)"));
  ASSERT_TRUE(child.wait_for_line("HTTP API on")) << child.text;
  {
    Client c(port);
    Fields request = auth_request(0, 1000, 1);
    request[7] = field7_days_ago(40);
    ASSERT_EQ(c.roundtrip(request).at(39), "00");
  }
  const std::string user = http_get(api_port, "/v1/users/u0");
  const std::size_t daily = user.find(R"("period":"daily")");
  ASSERT_NE(daily, std::string::npos) << user;
  const std::size_t total = user.find(R"("total":)", user.find(R"("current":)", daily));
  ASSERT_NE(total, std::string::npos) << user;
  EXPECT_EQ(std::strtoll(user.c_str() + total + 8, nullptr, 10), 1000) << user;
  ASSERT_EQ(::kill(child.pid, SIGTERM), 0);
  EXPECT_EQ(child.wait_exit(), 0);
  ::close(child.out);
  std::filesystem::remove_all(dir);
}

// A restart on the same log (with the shutdown snapshot, or replaying the
// log alone) answers a retransmission of an answered request identically.
class SwitchRestart : public ::testing::TestWithParam<bool> {};

TEST_P(SwitchRestart, ARetransmissionAfterARestartIsAnsweredIdentically) {
  const bool keep_snapshot = GetParam();
  const auto dir = temp_dir("restart");
  const Fields approved = auth_request(0, 1000, 1);
  const Fields declined = auth_request(2, 150'000, 2);
  Fields unknown_card = auth_request(0, 1000, 4);
  unknown_card[2] = "4111111111111111";
  Fields first;
  {
    RunningSwitch sw(test_config(dir, io::Durability::sync));
    {
      Client c(sw.port());
      first = c.roundtrip(approved);
      ASSERT_EQ(first.at(39), "00");
      ASSERT_EQ(c.roundtrip(declined).at(39), "61");
      ASSERT_EQ(c.roundtrip(unknown_card).at(39), "14");
    }  // closed before the stop, which would otherwise linger for it
    ASSERT_EQ(sw.stop(), "");
  }
  std::size_t snapshots = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".snap") continue;
    ++snapshots;
    if (!keep_snapshot) std::filesystem::remove(entry.path());
  }
  EXPECT_EQ(snapshots, 1u);
  {
    RunningSwitch sw(test_config(dir, io::Durability::sync));
    Client c(sw.port());
    const Fields again = c.roundtrip(approved);
    EXPECT_EQ(again.at(39), "00");
    EXPECT_EQ(again.at(38), first.at(38));
    const Fields declined_again = c.roundtrip(declined);
    EXPECT_EQ(declined_again.at(39), "61");
    EXPECT_EQ(declined_again.at(44), "USER:TRANSACTION");
    Fields conflicting = approved;
    conflicting[4] = "000000002000";
    EXPECT_EQ(c.roundtrip(conflicting).at(39), "94");
    // An unknown card's 14 too (its PAN was kept as a keyed hash); another
    // PAN under the same key is 94.
    EXPECT_EQ(c.roundtrip(unknown_card).at(39), "14");
    Fields other_pan = unknown_card;
    other_pan[2] = "4111111111110000";
    EXPECT_EQ(c.roundtrip(other_pan).at(39), "94");
    const Fields fresh = c.roundtrip(auth_request(0, 1000, 3));
    EXPECT_EQ(fresh.at(39), "00");
    EXPECT_NE(fresh.at(38), first.at(38));
    bool recovery_logged = false;
    for (const std::string& line : sw.lines()) recovery_logged |= line.rfind("recovery: ", 0) == 0;
    EXPECT_TRUE(recovery_logged);
  }
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Start, SwitchRestart, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return std::string(p.param ? "FromSnapshot" : "FromLogOnly");
                         });

// The PAN key changed between the runs: the unknown card's hash was made under
// the old one, so its retransmission is refused 94 (nothing applied), and
// recovery says why in its log.
TEST(SwitchRestartKeys, AnotherPanKeyAfterARestartAnswers94AndIsLogged) {
  const auto dir = temp_dir("restart-key");
  auto key_file = [&](const char* name, char fill) {
    const auto path = dir / name;
    std::ofstream(path) << std::string(64, fill) << "\n";
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return path;
  };
  Fields unknown_card = auth_request(0, 1000, 4);
  unknown_card[2] = "4111111111111111";
  io::Config config = test_config(dir, io::Durability::sync);
  config.pan_key_file = key_file("old.key", 'a');
  {
    RunningSwitch sw(config);
    {
      Client c(sw.port());
      ASSERT_EQ(c.roundtrip(unknown_card).at(39), "14");
      ASSERT_EQ(c.roundtrip(auth_request(0, 1000, 5)).at(39), "00");
    }  // closed before the stop, which would otherwise linger for it
    ASSERT_EQ(sw.stop(), "");
  }
  config.pan_key_file = key_file("new.key", 'b');
  {
    RunningSwitch sw(config);
    Client c(sw.port());
    EXPECT_EQ(c.roundtrip(unknown_card).at(39), "94");
    EXPECT_EQ(c.roundtrip(auth_request(0, 1000, 5)).at(39), "00");  // a known card's PAN comes from the card
    bool warned = false;
    for (const std::string& line : sw.lines()) {
      warned |= line.find("recovery: warning: 1 answers on unknown cards were recorded under another PAN key") !=
                std::string::npos;
    }
    EXPECT_TRUE(warned);
  }
  std::filesystem::remove_all(dir);
}

TEST(SwitchShutdown, HelpPrintsUsageAndBadConfigExits2) {
  const std::string binary = std::string(AUTHSWITCH_BINARY_DIR) + "/authswitch";
  EXPECT_EQ(std::system((binary + " serve --help > /dev/null").c_str()), 0);
  const auto dir = temp_dir("badconfig");
  {
    std::ofstream f(dir / "bad.json");
    f << R"({"links":[],"nonsense":1})";
  }
  const int status = std::system((binary + " serve --config " + (dir / "bad.json").string() + " 2>/dev/null").c_str());
  EXPECT_EQ(WEXITSTATUS(status), 2);
  {
    std::ofstream f(dir / "accounts.ndjson");
    f << R"({"type":"card","id":"c1"})" << "\n";
    std::ofstream g(dir / "acc.json");
    g << R"({"accounts":"accounts.ndjson"})";
  }
  const std::string err = (dir / "err.txt").string();
  const int status2 = std::system((binary + " serve --config " + (dir / "acc.json").string() + " 2>" + err).c_str());
  EXPECT_EQ(WEXITSTATUS(status2), 2);
  EXPECT_NE(read_file(err).find("accounts.ndjson:1:"), std::string::npos) << read_file(err);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace authswitch::test
