// loadgen against a fake switch on loopback (SPEC 11): counts, checks,
// timeouts, the report, and latency counted from the due time.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/demo_data.h"
#include "io/loadgen.h"
#include "io/loadgen_cards.h"
#include "io/loadgen_report.h"
#include "tests/io/loadgen_fake_switch.h"
#include "tests/io/wait_until.h"
#include "tests/support/loopback_port.h"

namespace authswitch::io {
namespace {

using test::FakeSwitch;
using test::FakeSwitchBehaviour;

constexpr std::size_t cards = 1000;

LoadgenOptions options_for(const FakeSwitch& fake) {
  LoadgenOptions o;
  o.port = fake.port();
  o.rate_per_s = 2000;
  o.seconds = 1.0;
  o.connections = 2;
  o.demo_cards = cards;
  // Generous: a loaded CI machine must not turn a slow answer into a
  // timeout; the tests that want timeouts set their own.
  o.timeout = std::chrono::milliseconds(30'000);
  return o;
}

std::uint64_t kind_sent(const LoadgenResult& r, RequestKind k) {
  return r.counts.sent_by_kind[static_cast<std::size_t>(k)];
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Loadgen, EveryRequestAnsweredAndCountedByResponseCode) {
  FakeSwitch fake({.demo_cards = cards});
  const LoadgenResult r = run_loadgen(options_for(fake));
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.sent, 2000u);
  EXPECT_EQ(r.answered, r.sent);
  EXPECT_EQ(r.timeouts, 0u);
  EXPECT_EQ(r.unmatched, 0u);
  EXPECT_EQ(r.counts.mismatches, 0u) << (r.counts.mismatch_notes.empty() ? "" : r.counts.mismatch_notes[0]);
  EXPECT_TRUE(r.clean());
  EXPECT_EQ(std::accumulate(r.counts.by_rc.begin(), r.counts.by_rc.end(), std::uint64_t{0}), r.answered);
  EXPECT_EQ(std::accumulate(r.counts.sent_by_kind.begin(), r.counts.sent_by_kind.end(), std::uint64_t{0}), r.sent);
  // The fake never sheds load, so each predictable code comes from its kind
  // (and from retransmissions of such requests, which repeat the code).
  EXPECT_GE(r.counts.by_rc[14], kind_sent(r, RequestKind::unknown));
  EXPECT_EQ(r.counts.by_rc[94], kind_sent(r, RequestKind::conflict));
  EXPECT_GE(r.counts.by_rc[61], kind_sent(r, RequestKind::limit));
  EXPECT_GE(r.counts.by_rc[62] + r.counts.by_rc[41] + r.counts.by_rc[43], kind_sent(r, RequestKind::blocked));
  EXPECT_GT(kind_sent(r, RequestKind::duplicate), 0u);
  EXPECT_GT(kind_sent(r, RequestKind::reversal), 0u);
  ASSERT_EQ(r.counts.reasons_61.size(), 1u);
  EXPECT_EQ(r.counts.reasons_61[0].text, "USER:TRANSACTION");
  EXPECT_EQ(r.latency.total_count(), r.answered);
}

TEST(Loadgen, TheSwitchsOwnEchoesAreAnswered0810AndNotCountedUnmatched) {
  FakeSwitch fake({.demo_cards = cards, .echo_every = 99});  // the last well before the last request
  const LoadgenResult r = run_loadgen(options_for(fake));
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.answered, r.sent);
  EXPECT_EQ(r.unmatched, 0u);
  EXPECT_TRUE(r.clean());
  ASSERT_GT(fake.echoes_sent(), 0u);
  EXPECT_EQ(r.switch_echoes, fake.echoes_sent());
  // Each 0810 goes out with loadgen's next requests, which come until the
  // end of the run; the last echo's answer may still be on its way.
  EXPECT_TRUE(test::wait_until([&] { return fake.echoes_answered() == fake.echoes_sent(); }, std::chrono::seconds(10)))
      << fake.echoes_answered() << " of " << fake.echoes_sent();
  EXPECT_EQ(fake.bad_echo_answers(), 0u);
  EXPECT_NE(loadgen_summary_json(r).find("\"switch_echoes\":" + std::to_string(fake.echoes_sent())), std::string::npos);
}

TEST(Loadgen, SummaryLineHasTheSpecKeysAndCounts) {
  FakeSwitch fake({.demo_cards = cards});
  LoadgenOptions o = options_for(fake);
  o.rate_per_s = 500;
  const LoadgenResult r = run_loadgen(o);
  const std::string json = loadgen_summary_json(r);
  EXPECT_EQ(json.find('\n'), std::string::npos);
  EXPECT_NE(json.find("{\"sent\":500,\"answered\":500,\"timeouts\":0,\"by_rc\":{\"00\":"), std::string::npos) << json;
  for (const char* key : {"\"p50_us\":", "\"p99_us\":", "\"p999_us\":", "\"max_us\":", "\"per_s\":",
                          "\"mismatches\":0", "\"unmatched\":0", "\"unsent\":0"}) {
    EXPECT_NE(json.find(key), std::string::npos) << key << " in " << json;
  }
  EXPECT_NE(json.find("\"14\":" + std::to_string(r.counts.by_rc[14])), std::string::npos) << json;
}

// Exit status 0 needs every request of the run sent, not only every one
// sent answered: a switch that stopped reading must not pass.
TEST(Loadgen, ARequestNeverSentIsNotACleanRun) {
  LoadgenResult r;
  r.sent = r.answered = 10;
  EXPECT_TRUE(r.clean());
  r.unsent = 1;
  EXPECT_FALSE(r.clean());
}

TEST(Loadgen, RetransmissionAnsweredDifferentlyIsAMismatch) {
  FakeSwitch fake({.alter_retransmissions = true, .demo_cards = cards});
  LoadgenOptions o = options_for(fake);
  ASSERT_EQ(parse_mix("approve=50,duplicate=50", o.mix), "");
  const LoadgenResult r = run_loadgen(o);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.answered, r.sent);
  // Every original is an approval with a 38, so every retransmission's answer differs.
  EXPECT_GT(kind_sent(r, RequestKind::duplicate), 0u);
  EXPECT_EQ(r.counts.mismatches, kind_sent(r, RequestKind::duplicate));
  ASSERT_FALSE(r.counts.mismatch_notes.empty());
  EXPECT_NE(r.counts.mismatch_notes[0].find("retransmission answered with field 38"), std::string::npos)
      << r.counts.mismatch_notes[0];
  EXPECT_FALSE(r.clean());
}

// SPEC 2: a balance inquiry's 00 carries field 54 as one block: 00, 02, the
// card's currency, C or D, 12 digits. A block in another currency is wrong.
TEST(Loadgen, BalanceBlockInAnotherCurrencyIsAMismatch) {
  FakeSwitch fake({.bad_balance_block = true, .demo_cards = cards});
  LoadgenOptions o = options_for(fake);
  o.rate_per_s = 500;
  ASSERT_EQ(parse_mix("balance=1", o.mix), "");
  const LoadgenResult r = run_loadgen(o);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.answered, r.sent);
  // Only prepaid cards' answers carry 54: about half.
  EXPECT_GT(r.counts.mismatches, 0u);
  EXPECT_LT(r.counts.mismatches, r.sent);
  ASSERT_FALSE(r.counts.mismatch_notes.empty());
  EXPECT_NE(r.counts.mismatch_notes[0].find("field 54 '0002840C000000500000'"), std::string::npos)
      << r.counts.mismatch_notes[0];
  EXPECT_FALSE(r.clean());
}

TEST(Loadgen, SilentSwitchMeansEveryRequestTimesOut) {
  FakeSwitch fake({.silent = true, .demo_cards = cards});
  LoadgenOptions o = options_for(fake);
  o.rate_per_s = 200;
  o.seconds = 0.5;
  // The timeout is also the drain: requests still unsent when it ends after
  // the last due time are never sent. 100 ms let a loaded machine's stall
  // lose the last few; the silent switch makes any value time out.
  o.timeout = std::chrono::milliseconds(1000);
  const LoadgenResult r = run_loadgen(o);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.sent, 100u);
  EXPECT_EQ(r.answered, 0u);
  EXPECT_EQ(r.timeouts, 100u);
  EXPECT_EQ(r.unsent, 0u);
  // The fake reads on its own thread, which may not have read the last
  // requests yet when loadgen gives up on them.
  EXPECT_TRUE(test::wait_until([&] { return fake.requests_read() >= 100; }, std::chrono::seconds(30)));
  EXPECT_EQ(fake.requests_read(), 100u);
  EXPECT_FALSE(r.clean());
}

// SPEC 11: progress each second, also while loadgen only waits for the last
// answers (here from a switch that never answers): the run lasts the 1 s of
// sending plus the 3 s timeout, so three whole seconds end before it does.
TEST(Loadgen, PrintsProgressEachSecondWhileWaitingForTheLastAnswers) {
  FakeSwitch fake({.silent = true, .demo_cards = cards});
  LoadgenOptions o = options_for(fake);
  o.rate_per_s = 20;
  o.seconds = 1.0;
  o.timeout = std::chrono::milliseconds(3000);
  char* text = nullptr;
  std::size_t size = 0;
  std::FILE* progress = open_memstream(&text, &size);
  ASSERT_NE(progress, nullptr);
  o.progress = progress;
  const LoadgenResult r = run_loadgen(o);
  std::fclose(progress);
  const std::string lines(text, size);
  std::free(text);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.timeouts, 20u);
  std::vector<std::string> seconds;
  std::istringstream in(lines);
  for (std::string line; std::getline(in, line);) seconds.push_back(line);
  ASSERT_GE(seconds.size(), 3u) << lines;
  EXPECT_LE(seconds.size(), 4u) << lines;
  EXPECT_EQ(seconds[2].rfind("loadgen:   3s sent 20 answered 0 timeouts ", 0), 0u) << lines;
}

TEST(Loadgen, ReportWritesPercentilesAndPlot) {
  FakeSwitch fake({.demo_cards = cards});
  LoadgenOptions o = options_for(fake);
  o.rate_per_s = 500;
  o.report_dir = testing::TempDir() + "loadgen_report_" + std::to_string(::getpid());
  const LoadgenResult r = run_loadgen(o);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.report_svg, o.report_dir + "/latency.svg");
  const std::string hgrm = read_file(o.report_dir + "/latency.hgrm");
  EXPECT_NE(hgrm.find("Value     Percentile TotalCount 1/(1-Percentile)"), std::string::npos) << hgrm.substr(0, 200);
  EXPECT_NE(hgrm.find("Total count    =          500]"), std::string::npos) << hgrm;
  const std::string svg = read_file(r.report_svg);
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find("99.9%"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

// Open loop: requests keep falling due while the switch stalls, and each
// one's latency counts from its due time, so the stall shows in the
// histogram instead of being hidden by a client that waited politely.
TEST(Loadgen, StallShowsInLatencyFromTheDueTime) {
  constexpr std::chrono::milliseconds stall{300};
  FakeSwitch fake({.stall_after = 50, .stall = stall, .demo_cards = cards});
  LoadgenOptions o = options_for(fake);
  o.rate_per_s = 500;
  const LoadgenResult r = run_loadgen(o);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.answered, r.sent);
  // Request 50 was read before the stall and answered after it.
  EXPECT_GE(r.latency.max_ns(), static_cast<std::uint64_t>(std::chrono::nanoseconds(stall).count()));
  // And so were the ~150 due during the stall: well over 1% of 500.
  EXPECT_GE(r.latency.value_at_percentile(99), 100'000'000u);
}

// --listen: the switch dials loadgen (a connect link); the relay pairs it
// with the open-loop client, and everything is answered and checked as over
// --target.
TEST(Loadgen, ListenModeServesASwitchThatDialsIn) {
  // A port free a moment ago; the fake keeps dialing until loadgen listens.
  const test::BoundSocket probe = test::bind_loopback();
  ASSERT_GE(probe.fd, 0);
  const std::uint16_t port = probe.port;
  ::close(probe.fd);

  FakeSwitch fake({.demo_cards = cards, .dial_port = port});
  LoadgenOptions o = options_for(fake);
  o.listen = true;
  o.port = port;
  o.connections = 1;
  o.rate_per_s = 500;
  const LoadgenResult r = run_loadgen(o);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.sent, 500u);
  EXPECT_EQ(r.answered, 500u);
  EXPECT_EQ(r.counts.mismatches, 0u);
  EXPECT_TRUE(r.clean());
}

TEST(Loadgen, CardsFileIsReadLikeServeReadsIt) {
  const std::string path = testing::TempDir() + "loadgen_cards_" + std::to_string(::getpid()) + ".ndjson";
  std::ofstream(path) << core::generate_demo_accounts(cards);
  const CardPoolResult from_file = load_card_pool(path, 0);
  ASSERT_EQ(from_file.error, "");
  const CardPoolResult demo = load_card_pool("", cards);
  // 997, 998, 999 are blocked, lost and stolen (core/demo_data.h).
  EXPECT_EQ(from_file.pool.active.size(), cards - 3);
  EXPECT_EQ(from_file.pool.inactive.size(), 3u);
  EXPECT_EQ(from_file.pool.limited.size(), cards - 3);
  EXPECT_EQ(demo.pool.active.size(), from_file.pool.active.size());
  EXPECT_EQ(from_file.pool.active[0].transaction_max, 100'000);
}

TEST(LoadgenMix, ParsesWeightsAndNamesTheBadPart) {
  Mix mix;
  EXPECT_EQ(parse_mix("echo=1", mix), "");
  for (std::uint64_t random = 0; random < 100; ++random) EXPECT_EQ(mix.pick(random * 7919), RequestKind::echo);
  EXPECT_EQ(to_string(mix), "echo=1");
  EXPECT_EQ(parse_mix("approve", mix), "--mix: 'approve' is not KIND=WEIGHT");
  EXPECT_EQ(parse_mix("approve=x", mix), "--mix: weight of 'approve' must be 0 to 1000000");
  EXPECT_EQ(to_string(mix), "echo=1");  // unchanged by a failed parse
  EXPECT_EQ(to_string(Mix{}),
            "approve=70,limit=4,unknown=3,blocked=2,duplicate=5,conflict=2,reversal=5,advice=3,balance=3,echo=3");
}

}  // namespace
}  // namespace authswitch::io
