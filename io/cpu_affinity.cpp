#include "io/cpu_affinity.h"

#include <pthread.h>
#include <sched.h>

#include <cstring>

namespace authswitch::io {
namespace {

// The CPUs the process may run on, read once before main() runs: a later
// sched_getaffinity would answer for one thread, which may already be pinned
// to a single CPU and would hide the others.
cpu_set_t read_process_cpus() noexcept {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) CPU_ZERO(&allowed);
  return allowed;
}

const cpu_set_t g_process_cpus = read_process_cpus();

}  // namespace

bool process_may_run_on(int cpu) noexcept {
  if (cpu < 0 || cpu >= CPU_SETSIZE) return false;
  return CPU_ISSET(static_cast<unsigned>(cpu), &g_process_cpus) != 0;
}

int cpu_for_thread(std::span<const int> cpus, std::size_t index) noexcept {
  if (cpus.empty()) return -1;
  return cpus[index % cpus.size()];
}

bool pin_current_thread(int cpu, std::string_view thread_name, std::FILE* warnings) noexcept {
  const auto name_len = static_cast<int>(thread_name.size());
  if (!process_may_run_on(cpu)) {
    std::fprintf(warnings, "authswitch: warning: %.*s: CPU %d is not one this process may run on; running unpinned\n",
                 name_len, thread_name.data(), cpu);
    return false;
  }
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(static_cast<unsigned>(cpu), &one);
  const int rc = pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
  if (rc != 0) {
    std::fprintf(warnings, "authswitch: warning: %.*s: cannot pin to CPU %d (%s); running unpinned\n", name_len,
                 thread_name.data(), cpu, std::strerror(rc));
    return false;
  }
  return true;
}

}  // namespace authswitch::io
