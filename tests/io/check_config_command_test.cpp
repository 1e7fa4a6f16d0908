// `authswitch check-config`: exit codes and output (SPEC 10). The command's
// source is linked here with a stand-in registry, so the test needs none of
// the other commands.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/command_stand_in.h"

namespace authswitch::tools {
namespace {

using Outcome = test::CommandOutcome;

Outcome run(std::vector<std::string> args) { return test::run_command(std::move(args)); }

// Named by the process too: another build's run of the same test may be
// writing the same name in the same /tmp at the same time.
std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + std::to_string(::getpid()) + "_" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(CheckConfigCommand, RegistersUnderItsName) { EXPECT_EQ(test::registered_command().name, "check-config"); }

TEST(CheckConfigCommand, ValidFilePrintsOneLineSummaryAndExitsZero) {
  const std::string path = write_file("valid.json", R"({"wal":{"dir":"/var/lib/as","durability":"async"}})");
  const Outcome r = run({path});
  EXPECT_EQ(r.status, exit_ok);
  EXPECT_EQ(r.out, path + ": ok: 1 link (net listen 127.0.0.1:8583 len2 iso87-ascii), wal /var/lib/as (async), "
                          "cores io [0] auth [1]\n");
  EXPECT_EQ(r.err, "");
}

TEST(CheckConfigCommand, InvalidFilePrintsFileLineFieldReasonAndExitsTwo) {
  const std::string path = write_file("invalid.json", "{\n  \"links\": [{\"prot\": 1}]\n}\n");
  const Outcome r = run({path});
  EXPECT_EQ(r.status, exit_usage);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, path + ":2: links[0].prot: unknown key\n");
}

// Serve loads the accounts before it starts, and refuses a bad file with
// exit 2: check-config loads it the same way.
TEST(CheckConfigCommand, TheAccountsFileIsLoadedAsServeLoadsIt) {
  const std::string accounts = write_file("accounts.ndjson", R"({"type":"card","id":"c1"})" "\n");
  const std::string path = write_file("with_accounts.json", R"({"accounts":")" + accounts + R"("})");
  const Outcome r = run({path});
  EXPECT_EQ(r.status, exit_usage);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind(accounts + ":1: ", 0), 0u) << r.err;
}

TEST(CheckConfigCommand, MissingFileExitsTwo) {
  const Outcome r = run({"/nonexistent/switch.json"});
  EXPECT_EQ(r.status, exit_usage);
  EXPECT_EQ(r.err, "/nonexistent/switch.json: cannot read: No such file or directory\n");
}

TEST(CheckConfigCommand, HelpGoesToStdoutAndExitsZero) {
  const Outcome r = run({"--help"});
  EXPECT_EQ(r.status, exit_ok);
  EXPECT_EQ(r.out.rfind("usage: authswitch check-config FILE\n", 0), 0u);
  EXPECT_EQ(r.err, "");
}

TEST(CheckConfigCommand, WrongArgumentsAreAUsageError) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{}, {"a.json", "b.json"}, {"--verbose"}}) {
    const Outcome r = run(args);
    EXPECT_EQ(r.status, exit_usage);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("usage:"), std::string::npos);
  }
}

}  // namespace
}  // namespace authswitch::tools
