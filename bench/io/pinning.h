// Benchmarks pin their two threads to two different CPUs (rigtorp's
// method); when a CPU is not available pin_current_thread() warns and the
// thread runs unpinned, which the figures then include.
#pragma once

#include <sched.h>

#include "io/cpu_affinity.h"

namespace authswitch::bench {

// The index-th CPU this process may run on, or -1.
inline int nth_allowed_cpu(int index) {
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (io::process_may_run_on(cpu) && index-- == 0) return cpu;
  }
  return -1;
}

inline void pin_bench_thread(int index, const char* name) {
  const int cpu = nth_allowed_cpu(index);
  if (cpu >= 0) (void)io::pin_current_thread(cpu, name);
}

}  // namespace authswitch::bench
