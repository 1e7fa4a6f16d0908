#include "core/thread_class.h"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace authswitch::core {
namespace {

// The kernel's struct sched_attr, first version (48 bytes). Declared here:
// <linux/sched/types.h> clashes with glibc's <sched.h>, and glibc has no
// sched_setattr wrapper before 2.41.
struct SchedAttr {
  std::uint32_t size = sizeof(SchedAttr);
  std::uint32_t sched_policy = 0;
  std::uint64_t sched_flags = 0;
  std::int32_t sched_nice = 0;
  std::uint32_t sched_priority = 0;
  std::uint64_t sched_runtime = 0;  // SCHED_OTHER on 6.12+: the slice asked for
  std::uint64_t sched_deadline = 0;
  std::uint64_t sched_period = 0;
};
static_assert(sizeof(SchedAttr) == 48);

}  // namespace

std::string set_current_thread_class(ThreadClass cls) noexcept {
  switch (cls) {
    case ThreadClass::unchanged:
      return {};
    case ThreadClass::background: {
      const sched_param param{};
      if (::sched_setscheduler(0, SCHED_IDLE, &param) == 0) return {};
      return std::string("SCHED_IDLE refused: ") + std::strerror(errno);
    }
    case ThreadClass::answer_path:
    case ThreadClass::ordinary: {
      SchedAttr attr;
      attr.sched_policy = SCHED_OTHER;
      attr.sched_runtime = cls == ThreadClass::answer_path ? answer_path_slice_ns : 0;  // 0: the default slice
      if (::syscall(SYS_sched_setattr, 0, &attr, 0U) == 0) return {};
      return std::string(cls == ThreadClass::answer_path ? "a short slice" : "SCHED_OTHER") +
             " refused: " + std::strerror(errno);
    }
  }
  return {};
}

std::string probe_thread_class(ThreadClass cls) {
  std::string why;
  std::thread([&] { why = set_current_thread_class(cls); }).join();
  return why;
}

std::string describe_thread_classes(bool answer_path, bool background) {
  std::string line = "scheduling: ";
  if (!answer_path) {
    line += "answer-path threads as created";
  } else if (std::string why = probe_thread_class(ThreadClass::answer_path); why.empty()) {
    line += "answer-path threads (io loops, authorization, log writer) ask for " +
            std::to_string(answer_path_slice_ns / 1000) + " us slices";
  } else {
    line += "answer-path threads keep the default slice (" + why + ")";
  }
  if (!background) {
    line += "; background threads as created";
  } else if (std::string why = probe_thread_class(ThreadClass::background); why.empty()) {
    line += "; the checkpointer runs SCHED_IDLE";
  } else {
    line += "; the checkpointer runs at its niceness only (" + why + ")";
  }
  return line;
}

}  // namespace authswitch::core
