// An operator reading `top -H` sees which stage each of the switch's threads
// is: its connection loops, authorization threads and log writer carry names.
// The threads on an answer's path ask the kernel for short slices
// (core/thread_class.h), unless the runtime is told to leave them as created.
#include <gtest/gtest.h>

#include <sched.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/thread_class.h"
#include "tests/io/switch_test_support.h"
#include "tests/io/wait_until.h"
#include "tests/support/thread_sched.h"

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

struct SliceCase {
  const char* name;
  bool answer_path_slices;
};

class SwitchThreadSlices : public ::testing::TestWithParam<SliceCase> {};

TEST_P(SwitchThreadSlices, TheAnswersPathAsksForShortSlicesUnlessToldNot) {
  const SliceCase& c = GetParam();
  const std::uint64_t default_slice = read_thread_sched(::gettid()).slice.value_or(0);
  if (default_slice == 0) GTEST_SKIP() << "this kernel shows no se.slice in /proc/<pid>/task/<tid>/sched";
  const std::filesystem::path dir = temp_dir(std::string("thread-slices-") + c.name);
  {
    RunningSwitch sw(test_config(dir, io::Durability::async), 1000, 0,
                     [&](io::SwitchOptions& o) { o.answer_path_slices = c.answer_path_slices; });
    std::map<std::string, pid_t> threads;
    {
      Client client(sw.port());
      ASSERT_TRUE(client.connected());
      ASSERT_EQ(client.roundtrip(auth_request(0, 1000, 1)).at(39), "00");
      ASSERT_TRUE(wait_until([&] {
        threads = threads_by_name();
        return threads.count("as-io-0") != 0;
      }));
      const std::uint64_t want = c.answer_path_slices ? core::answer_path_slice_ns : default_slice;
      for (const char* name : {"as-io-0", "as-auth-0", "as-wal"}) {
        ASSERT_EQ(threads.count(name), 1u) << name;
        const ThreadSched s = read_thread_sched(threads[name]);
        EXPECT_EQ(s.policy, SCHED_OTHER) << name;
        EXPECT_EQ(s.slice, want) << name;
      }
      // Off the answer's path: as created.
      EXPECT_EQ(read_thread_sched(threads["as-accept-0"]).slice, default_slice);
    }
    const std::vector<std::string> lines = sw.lines();
    const std::string expected = c.answer_path_slices ? "ask for 100 us slices" : "answer-path threads as created";
    EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.rfind("scheduling: ", 0) == 0 && l.find(expected) != std::string::npos;
    })) << ::testing::PrintToString(lines);
    EXPECT_EQ(sw.stop(), "");
  }
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Options, SwitchThreadSlices,
                         ::testing::Values(SliceCase{"on", true}, SliceCase{"off", false}),
                         [](const ::testing::TestParamInfo<SliceCase>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace authswitch::test
