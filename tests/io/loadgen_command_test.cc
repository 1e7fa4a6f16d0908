// `authswitch loadgen` as a command (SPEC 10, 11): usage errors exit 2, a
// clean run exits 0 with one JSON line on stdout, a wrong answer exits 1. The
// command's source is linked here with a stand-in registry.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/io/loadgen_fake_switch.h"
#include "tests/support/command_stand_in.h"

namespace authswitch::tools {
namespace {

using Outcome = test::CommandOutcome;

Outcome run(std::vector<std::string> args) { return test::run_command(std::move(args)); }

TEST(LoadgenCommand, RegistersUnderItsName) { EXPECT_EQ(test::registered_command().name, "loadgen"); }

TEST(LoadgenCommand, HelpPrintsUsageAndExitsZero) {
  const Outcome r = run({"--help"});
  EXPECT_EQ(r.status, exit_ok);
  EXPECT_EQ(r.out.rfind("usage: authswitch loadgen", 0), 0u);
  EXPECT_NE(r.out.find("--mix"), std::string::npos);
}

TEST(LoadgenCommand, UsageErrorsExitTwoNamingTheFault) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--bogus", "1"}, "unknown option --bogus"},
      {{"--rate"}, "missing value after --rate"},
      {{"--rate", "0"}, "bad value '0' for --rate"},
      {{"--rate", "fast"}, "bad value 'fast' for --rate"},
      {{"--seconds", "-1"}, "bad value '-1' for --seconds"},
      {{"--connections", "65"}, "bad value '65' for --connections"},
      {{"--target", "nohost"}, "bad value 'nohost' for --target"},
      {{"--target", "127.0.0.1:1", "--listen", "127.0.0.1:2"}, "--target and --listen exclude each other"},
      {{"--mix", "approve=1,teleport=2"}, "--mix: unknown kind 'teleport'"},
      {{"--mix", "approve=0"}, "--mix: every weight is 0"},
      {{"--timeout-ms", "0"}, "bad value '0' for --timeout-ms"},
      {{"--cards", "x.ndjson", "--demo-cards", "5"}, "--cards and --demo-cards exclude each other"},
  };
  for (const auto& [args, message] : cases) {
    const Outcome r = run(args);
    EXPECT_EQ(r.status, exit_usage) << message;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "") << message;
  }
}

TEST(LoadgenCommand, BadCardsFileIsAConfigurationErrorNamingTheLine) {
  const std::string path = testing::TempDir() + "loadgen_bad_cards_" + std::to_string(::getpid()) + ".ndjson";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("{\"type\":\"card\"}\n", f);
  std::fclose(f);
  const Outcome r = run({"--target", "127.0.0.1:1", "--cards", path, "--seconds", "1"});
  EXPECT_EQ(r.status, exit_usage);
  EXPECT_NE(r.err.find(path + ":1:"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(LoadgenCommand, CleanRunExitsZeroWithOneJsonLine) {
  test::FakeSwitch fake({.demo_cards = 1000});
  const Outcome r = run({"--target", "127.0.0.1:" + std::to_string(fake.port()), "--rate", "500", "--seconds", "1",
                         "--demo-cards", "1000", "--timeout-ms", "30000", "--connections", "2"});
  EXPECT_EQ(r.status, exit_ok) << r.err;
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << r.out;  // exactly one line
  EXPECT_EQ(r.out.rfind("{\"sent\":500,\"answered\":500,\"timeouts\":0,\"by_rc\":{", 0), 0u) << r.out;
}

TEST(LoadgenCommand, AlteredRetransmissionExitsOne) {
  test::FakeSwitch fake({.alter_retransmissions = true, .demo_cards = 1000});
  const Outcome r = run({"--target", "127.0.0.1:" + std::to_string(fake.port()), "--rate", "500", "--seconds", "1",
                         "--demo-cards", "1000", "--timeout-ms", "30000", "--mix", "approve=1,duplicate=1"});
  EXPECT_EQ(r.status, exit_failure);
  EXPECT_NE(r.err.find("mismatch: request"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("\"mismatches\":0"), std::string::npos) << r.out;
}

TEST(LoadgenCommand, SilentSwitchExitsOneWithTimeouts) {
  test::FakeSwitch fake({.silent = true, .demo_cards = 1000});
  // The timeout is also the drain after the last due time: at 100 ms a
  // loaded machine's stall could leave the last requests unsent.
  const Outcome r = run({"--target", "127.0.0.1:" + std::to_string(fake.port()), "--rate", "100", "--seconds", "1",
                         "--demo-cards", "1000", "--timeout-ms", "1000"});
  EXPECT_EQ(r.status, exit_failure);
  EXPECT_EQ(r.out.rfind("{\"sent\":100,\"answered\":0,\"timeouts\":100,", 0), 0u) << r.out;
}

}  // namespace
}  // namespace authswitch::tools
