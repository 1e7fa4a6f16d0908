// How the kernel should schedule each of the switch's threads.
//
// On a small host the switch's threads share CPUs with each other and with
// whatever else runs there. Two things matter for the latency of an answer:
//
// - A thread on the answer's path (a connection loop, an authorization
//   thread, the log's writer) that wakes should run at once, not wait out the
//   slice of a thread that is merely busy. Linux 6.12+ (EEVDF) lets a thread
//   ask for a shorter slice: it then gets an earlier deadline, and its wake-up
//   preempts a thread with the default slice. It runs for microseconds per
//   wake-up anyway, so a short slice takes nothing from it. Older kernels
//   ignore the request for SCHED_OTHER threads.
// - Background work (the checkpointer's replay and snapshots, the hold
//   sweeper) should take only CPU no one else wants: SCHED_IDLE, preempted by
//   any normal thread that wakes.
//
// Both are requests: a kernel or a container that refuses them leaves the
// thread as it was, and the switch runs on (start-up facts, not failures).
#pragma once

#include <cstdint>
#include <string>

namespace authswitch::core {

enum class ThreadClass : std::uint8_t {
  unchanged,    // leave the thread as created (benchmarks' A/B, tests)
  answer_path,  // a short slice (answer_path_slice_ns)
  background,   // SCHED_IDLE
  ordinary,     // SCHED_OTHER, the default slice, nice 0 (background work now awaited)
};

// The slice an answer-path thread asks for: the kernel's minimum (100 us);
// the default is 0.7 ms x (1 + log2 CPUs).
inline constexpr std::uint64_t answer_path_slice_ns = 100'000;

// Applies `cls` to the calling thread. Empty on success, else what the
// kernel said (the thread keeps its old policy). Makes system calls: call it
// once, when the thread starts.
[[nodiscard]] std::string set_current_thread_class(ThreadClass cls) noexcept;

// Start-up: whether this kernel takes `cls`, tried on a short-lived thread
// (the caller keeps its own policy). Empty when it does, else why not.
[[nodiscard]] std::string probe_thread_class(ThreadClass cls);

// The start-up line that says how the switch's threads are scheduled, or
// why not as intended.
[[nodiscard]] std::string describe_thread_classes(bool answer_path, bool background);

}  // namespace authswitch::core
