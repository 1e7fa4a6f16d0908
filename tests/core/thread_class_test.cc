// core/thread_class.h: each class does to the calling thread what it says,
// and to no other thread. Each case runs on a fresh thread (a thread keeps
// its policy; the test's own thread must stay as it was).
#include "core/thread_class.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "tests/support/thread_sched.h"

namespace authswitch::test {
namespace {

struct Case {
  const char* name;
  core::ThreadClass cls;
  core::ThreadClass then;  // applied after `cls`
  int policy;
  bool short_slice;
};

class ThreadClassCase : public ::testing::TestWithParam<Case> {};

TEST_P(ThreadClassCase, TheThreadGetsItsClassAndOthersKeepTheirs) {
  const Case& c = GetParam();
  const ThreadSched before = read_thread_sched(::gettid());
  std::string said = "not run";
  ThreadSched seen;
  std::thread([&] {
    said = core::set_current_thread_class(c.cls);
    said += core::set_current_thread_class(c.then);
    seen = read_thread_sched(::gettid());
  }).join();
  ASSERT_EQ(said, "");
  EXPECT_EQ(seen.policy, c.policy);
  if (seen.slice && before.slice) {  // kernels with EEVDF's per-task slice (6.6+)
    if (c.short_slice) {
      EXPECT_EQ(*seen.slice, core::answer_path_slice_ns);
    } else if (c.policy == SCHED_OTHER) {
      EXPECT_EQ(*seen.slice, *before.slice);
    }
  }
  const ThreadSched after = read_thread_sched(::gettid());
  EXPECT_EQ(after.policy, before.policy);
  EXPECT_EQ(after.slice, before.slice);
}

INSTANTIATE_TEST_SUITE_P(Classes, ThreadClassCase,
                         ::testing::Values(
                             Case{"unchanged", core::ThreadClass::unchanged, core::ThreadClass::unchanged, SCHED_OTHER,
                                  false},
                             Case{"answer_path", core::ThreadClass::answer_path, core::ThreadClass::unchanged,
                                  SCHED_OTHER, true},
                             Case{"background", core::ThreadClass::background, core::ThreadClass::unchanged, SCHED_IDLE,
                                  false},
                             // The checkpointer's final snapshot, awaited by a shutdown.
                             Case{"background_then_ordinary", core::ThreadClass::background,
                                  core::ThreadClass::ordinary, SCHED_OTHER, false},
                             Case{"answer_path_then_ordinary", core::ThreadClass::answer_path,
                                  core::ThreadClass::ordinary, SCHED_OTHER, false}),
                         [](const ::testing::TestParamInfo<Case>& p) { return std::string(p.param.name); });

TEST(ThreadClass, TheStartUpLineSaysWhatWasAskedFor) {
  const std::string both = core::describe_thread_classes(true, true);
  EXPECT_NE(both.find("ask for 100 us slices"), std::string::npos) << both;
  EXPECT_NE(both.find("the checkpointer runs SCHED_IDLE"), std::string::npos) << both;
  const std::string neither = core::describe_thread_classes(false, false);
  EXPECT_NE(neither.find("answer-path threads as created"), std::string::npos) << neither;
  EXPECT_NE(neither.find("background threads as created"), std::string::npos) << neither;
  // The probe leaves the caller's own scheduling alone.
  EXPECT_EQ(read_thread_sched(::gettid()).policy, SCHED_OTHER);
}

}  // namespace
}  // namespace authswitch::test
