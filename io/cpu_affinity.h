// Pinning threads to CPUs (SPEC 10, 13).
//
// A CPU named in `cores` that the process may not run on (outside its
// sched_getaffinity mask, e.g. under taskset or a container's cpuset, or
// beyond the machine's CPUs) is an operator's slip, not a reason to stop a
// payment switch: the thread runs unpinned and a warning names the CPU.
// Nothing here fails.
#pragma once

#include <cstdio>
#include <span>
#include <string_view>

namespace authswitch::io {

// Pins the calling thread to `cpu` when the process may run there; else
// writes "authswitch: warning: <thread>: CPU <n> ... running unpinned" to
// `warnings` and leaves the thread's affinity alone. True when pinned.
// Start-up only (it makes system calls).
bool pin_current_thread(int cpu, std::string_view thread_name, std::FILE* warnings = stderr) noexcept;

// The CPU for the index-th thread of a role whose list is `cpus` (round
// robin, so 3 io threads over [0, 1] get 0, 1, 0); -1 when the list is empty,
// meaning "do not pin".
[[nodiscard]] int cpu_for_thread(std::span<const int> cpus, std::size_t index) noexcept;

// True when the process's affinity mask lets it run on `cpu`.
[[nodiscard]] bool process_may_run_on(int cpu) noexcept;

}  // namespace authswitch::io
