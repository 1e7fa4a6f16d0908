// An operator reading `top -H` sees which stage each of the switch's threads
// is: its connection loops, authorization threads and log writer carry names.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/io/switch_test_support.h"
#include "tests/io/wait_until.h"

namespace authswitch::test {
namespace {

std::vector<std::string> thread_names() {
  std::vector<std::string> names;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) names.push_back(name);
  }
  return names;
}

bool has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(SwitchThreadNames, EachStageIsNamed) {
  const std::filesystem::path dir = temp_dir("thread-names");
  {
    RunningSwitch sw(test_config(dir, io::Durability::async));
    {
      Client c(sw.port());
      ASSERT_TRUE(c.connected());
      ASSERT_EQ(c.roundtrip(auth_request(0, 1000, 1)).at(39), "00");  // the connection's loop is running
      std::vector<std::string> names;
      EXPECT_TRUE(wait_until([&] {
        names = thread_names();
        return has(names, "as-io-0") && has(names, "as-auth-0") && has(names, "as-wal") && has(names, "as-accept-0");
      })) << "threads: " << ::testing::PrintToString(names);
    }
    EXPECT_EQ(sw.stop(), "");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace authswitch::test
