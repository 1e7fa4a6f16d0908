// The built `authswitch`: a config that start-up would refuse is found by
// `check-config FILE` and by `serve --config FILE` before anything starts
// (no log folder made), exit 2 (SPEC 10), one line on stderr naming the
// file and the key. The exact messages are io_config_test's and
// io_config_check_test's.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <random>
#include <sstream>
#include <string>

namespace authswitch::test {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int status;
  std::string err;
};

// Bounded by `timeout`: a serve that wrongly starts is killed (status 124),
// not left to hang the test.
Outcome run(const std::string& args, const fs::path& dir) {
  const fs::path err = dir / "stderr.txt";
  const std::string command = "timeout 60 " + std::string(AUTHSWITCH_BINARY_DIR) + "/authswitch " + args +
                              " > /dev/null 2> " + err.string();
  const int status = std::system(command.c_str());
  std::ostringstream text;
  text << std::ifstream(err).rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str()};
}

struct BadConfig {
  const char* name;
  const char* json;
  const char* field;  // the key the message names
  friend std::ostream& operator<<(std::ostream& out, const BadConfig& c) { return out << c.name; }
};

class ConfigExitCode : public testing::TestWithParam<BadConfig> {
 protected:
  ConfigExitCode()
      : dir_(fs::temp_directory_path() /
             ("authswitch-exit-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()))) {
    ::unsetenv("AUTHSWITCH_PAN_KEY");
    fs::create_directories(dir_);
    std::ofstream(dir_ / "short.key") << "abcd\n";
    std::ofstream(dir_ / "switch.json") << GetParam().json;
  }
  ~ConfigExitCode() override { fs::remove_all(dir_); }

  void expect_refused(const std::string& command) {
    const std::string file = (dir_ / "switch.json").string();
    const Outcome r = run(command + " " + file, dir_);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(r.err.rfind(file + ":", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(std::string(" ") + GetParam().field + ": "), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "wal")) << "started before refusing";
  }

  fs::path dir_;
};

TEST_P(ConfigExitCode, CheckConfigExits2NamingTheKey) { expect_refused("check-config"); }

TEST_P(ConfigExitCode, ServeExits2BeforeAnythingStarts) { expect_refused("serve --config"); }

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigExitCode,
    testing::Values(
        BadConfig{"spec_missing", R"({"wal":{"dir":"wal"},"links":[{"spec":"missing.json"}]})", "links[0].spec"},
        BadConfig{"pan_key_short", R"({"wal":{"dir":"wal"},"pan_key_file":"short.key"})", "pan_key_file"},
        BadConfig{"auth_threads", R"({"wal":{"dir":"wal"},"cores":{"auth":[0,1,2,3,4]}})", "cores.auth"},
        BadConfig{"timezone", R"({"wal":{"dir":"wal"},"timezone":"zone.tab"})", "timezone"},
        BadConfig{"listen_host", R"({"wal":{"dir":"wal"},"links":[{"host":"localhost"}]})", "links[0].host"},
        BadConfig{"connect_host", R"({"wal":{"dir":"wal"},"links":[{"mode":"connect","host":"acquirer.example"}]})",
                  "links[0].host"},
        BadConfig{"links", R"({"wal":{"dir":"wal"},"links":[{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d"},
                  {"name":"e"},{"name":"f"},{"name":"g"},{"name":"h"},{"name":"i"}]})", "links[8]"},
        BadConfig{"max_inflight", R"({"wal":{"dir":"wal"},"links":[{"max_inflight":4097}]})",
                  "links[0].max_inflight"}));

}  // namespace
}  // namespace authswitch::test
