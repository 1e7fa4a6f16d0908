// SPEC 7: "Sensitive data never reaches the log, a snapshot or a log line: no
// track data (35, 45), PIN block (52) or chip data (55); a PAN only masked
// (first 6, last 4) or as the card's id", and a card added through the API
// keeps its PAN encrypted.
//
// The built `authswitch serve`, as an operator runs it: requests carrying
// every sensitive field (on a known card, an unknown card, a card added
// through the API, and a malformed one answered 30), a card added over HTTP,
// SIGTERM (the shutdown snapshot). Then every byte the run left is scanned:
// each file in the log folder (segments, snapshot, generated key), the
// process's stdout and stderr, and what `wal dump` prints (text and JSON).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/io/switch_test_support.h"
#include "tests/support/http_exchange.h"
#include "tests/support/loopback_port.h"

namespace authswitch::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* pan_known = "4761739001010010";
constexpr const char* pan_unknown = "5413330089010608";
constexpr const char* pan_added = "4012888888881881";
constexpr const char* track2_tail = "2912101987650432";  // after the '=' of field 35
constexpr const char* track1_name = "QUIXOTE/DULCINEA";  // inside field 45
constexpr const char* chip_data = "9F2608C1D2E3F4A5B6C7D89F2701809F10";  // field 55
const std::string pin_block("\x9a\x7b\x3c\x11\x22\x33\x44\x55", 8);  // field 52
constexpr const char* token = "sensitive-test-token";

// A request carrying every sensitive field the dialect knows.
Fields request_with_secrets(const std::string& pan, std::uint32_t stan) {
  char stan_text[7];
  std::snprintf(stan_text, sizeof stan_text, "%06u", stan);
  return Fields{{0, "0100"},
                {2, pan},
                {3, "000000"},
                {4, "000000001500"},
                {7, "1123140000"},
                {11, stan_text},
                {14, "2912"},
                {22, "051"},
                {32, "123456"},
                {35, pan + "=" + track2_tail},
                {37, "RRN000000001"},
                {41, "TERM0001"},
                {45, "B" + pan + "^" + track1_name + "^2912101000000777"},
                {49, "392"},
                {52, pin_block},
                {55, chip_data}};
}

// Runs `authswitch ARGS`, its stdout and stderr together.
std::string run_tool(const std::string& args, const fs::path& dir) {
  const fs::path out = dir / "tool.txt";
  const std::string command =
      "timeout 60 " + std::string(AUTHSWITCH_BINARY_DIR) + "/authswitch " + args + " > " + out.string() + " 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << command << "\n" << read_file(out);
  return read_file(out);
}

bool wait_for_text(const fs::path& file, const std::string& needle, std::chrono::seconds limit) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < give_up) {
    if (fs::exists(file) && read_file(file).find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int wait_exit(pid_t pid, std::chrono::seconds limit) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > give_up) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(SensitiveData, NoTrackPinChipDataOrFullPanInTheLogTheSnapshotOrAnyLine) {
  const fs::path dir = temp_dir("sensitive");
  const auto [port, api_port] = two_free_ports();
  {
    std::ofstream accounts(dir / "accounts.ndjson");
    accounts << R"({"type":"company","id":"acme"})" "\n"
             << R"({"type":"user","id":"u1","company":"acme","balance":500000})" "\n"
             << R"({"type":"card","id":"c1","pan":")" << pan_known
             << R"(","user":"u1","expiry":"2912","status":"active","currency":"392"})" "\n";
    std::ofstream config(dir / "config.json");
    config << R"({"links":[{"name":"net","mode":"listen","host":"127.0.0.1","port":)" << port
           << R"(,"echo_interval_s":0}],"cores":{"io":[],"auth":[]},"wal":{"dir":"wal","durability":"sync"},)"
           << R"("accounts":"accounts.ndjson","admin":{"listen":"127.0.0.1:)" << api_port << R"(","token":")"
           << token << R"("}})";
  }
  const fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The generated key beside the log: the case where the key is nearest
    // the data it protects.
    ::unsetenv("AUTHSWITCH_PAN_KEY");
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(o, STDOUT_FILENO);
    ::dup2(e, STDERR_FILENO);
    const std::string binary = std::string(AUTHSWITCH_BINARY_DIR) + "/authswitch";
    const std::string config = (dir / "config.json").string();
    ::execl(binary.c_str(), binary.c_str(), "serve", "--config", config.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ASSERT_TRUE(wait_for_text(out, "HTTP API on", std::chrono::seconds(60))) << read_file(out) << read_file(err);

  const std::string card =
      std::string(R"({"id":"c2","pan":")") + pan_added + R"(","user":"u1","expiry":"2912","status":"active","currency":"392"})";
  const std::string added = http_exchange(api_port, "POST /v1/cards HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                                               std::string(token) + "\r\nContent-Type: application/json\r\n" +
                                               "Content-Length: " + std::to_string(card.size()) + "\r\n\r\n" + card);
  EXPECT_NE(added.find(" 20"), std::string::npos) << added;  // 200 or 201
  {
    Client c(port);
    ASSERT_TRUE(c.connected());
    EXPECT_EQ(c.roundtrip(request_with_secrets(pan_known, 1)).at(39), "00");
    EXPECT_EQ(c.roundtrip(request_with_secrets(pan_unknown, 2)).at(39), "14");
    EXPECT_EQ(c.roundtrip(request_with_secrets(pan_added, 3)).at(39), "00");
    EXPECT_EQ(c.roundtrip(request_with_secrets(pan_known, 1)).at(39), "00");  // a duplicate
    // A letter in field 4: the loop answers 30 itself, the rest unread.
    std::string malformed = frame_of(request_with_secrets(pan_known, 4));
    const std::size_t amount = malformed.find("000000001500");
    ASSERT_NE(amount, std::string::npos);
    malformed[amount + 11] = 'X';
    c.send_bytes(malformed);
    const auto answer = c.read();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->at(39), "30");
  }
  ::kill(pid, SIGTERM);
  ASSERT_EQ(wait_exit(pid, std::chrono::seconds(60)), 0) << read_file(err);

  // What the run left: every file of the log folder, the lines it printed,
  // and the log as `wal dump` shows it.
  std::vector<std::pair<std::string, std::string>> texts;
  bool snapshot = false, segment_masked = false;
  for (const auto& entry : fs::recursive_directory_iterator(dir / "wal")) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    texts.emplace_back(entry.path().string(), read_file(entry.path()));
    snapshot |= ledger::parse_snapshot_file_name(name).has_value();
    if (ledger::parse_segment_file_name(name)) segment_masked |= texts.back().second.find("476173******0010") != std::string::npos;
  }
  EXPECT_TRUE(snapshot) << "no shutdown snapshot to scan";
  EXPECT_TRUE(segment_masked) << "the received record keeps the masked PAN";
  texts.emplace_back("stdout", read_file(out));
  texts.emplace_back("stderr", read_file(err));
  texts.emplace_back("wal dump", run_tool("wal dump " + (dir / "wal").string(), dir));
  texts.emplace_back("wal dump --json", run_tool("wal dump " + (dir / "wal").string() + " --json", dir));
  EXPECT_NE(texts.back().second.find("\"type\""), std::string::npos) << texts.back().second;

  const std::pair<const char*, std::string> secrets[] = {
      {"known card's PAN", pan_known},    {"unknown card's PAN", pan_unknown}, {"added card's PAN", pan_added},
      {"track 2 (35)", track2_tail},      {"track 1 (45)", track1_name},       {"PIN block (52)", pin_block},
      {"chip data (55)", chip_data}};
  for (const auto& [where, bytes] : texts) {
    for (const auto& [what, secret] : secrets) {
      EXPECT_EQ(bytes.find(secret), std::string::npos) << what << " in " << where;
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace authswitch::test
