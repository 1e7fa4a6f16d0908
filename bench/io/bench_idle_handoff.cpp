// Hand-off latency of one item from a producer to a consumer that has been
// idle for a while, under each idle policy: how long from the push until the
// consumer holds the item. The producer waits `gap_us` between items, long
// enough for the consumer to reach its policy's last stage (2,000 pauses
// and 64 yields take ~20-100 us here), so "default" measures a parked
// wake-up when the gap is long and a spinning pick-up when it is short.
//
// Reported as counters: p50_ns, p99_ns, max_ns from our histogram, and
// wakes (futex wake calls made by the producer).
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <thread>

#include "bench/io/pinning.h"
#include "io/idle_strategy.h"
#include "io/latency_histogram.h"
#include "io/spsc_ring.h"

namespace authswitch::bench {
namespace {

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

void run_handoff(benchmark::State& state, io::IdlePolicy policy) {
  const auto gap_ns = static_cast<std::uint64_t>(state.range(0)) * 1000;
  io::SpscRing<std::uint64_t> ring(64);
  io::Doorbell bell;
  io::LatencyRecorder recorder;
  std::atomic<std::uint64_t> acknowledged{0};
  std::atomic<bool> stop{false};
  pin_bench_thread(0, "bench-producer");
  std::thread consumer([&] {
    pin_bench_thread(1, "bench-consumer");
    io::IdleStrategy idle(bell, policy);
    const auto has_work = [&] { return ring.front() != nullptr || stop.load(std::memory_order_relaxed); };
    while (!stop.load(std::memory_order_relaxed)) {
      if (const std::uint64_t* stamp = ring.front()) {
        // The warm-up item also measures thread start and pinning: not kept.
        if (acknowledged.load(std::memory_order_relaxed) != 0) recorder.record(now_ns() - *stamp);
        ring.pop();
        acknowledged.fetch_add(1, std::memory_order_release);
        idle.reset();
      } else {
        idle.idle(has_work);
      }
    }
  });
  // One untimed hand-off first, so both threads are running and pinned.
  std::uint64_t sent = 1;
  while (!ring.try_push(now_ns())) io::cpu_relax();
  bell.ring();
  while (acknowledged.load(std::memory_order_acquire) != sent) io::cpu_relax();
  for (auto _ : state) {
    const std::uint64_t due = now_ns() + gap_ns;
    while (now_ns() < due) io::cpu_relax();
    if (!ring.try_push(now_ns())) state.SkipWithError("ring full");
    bell.ring();
    ++sent;
    while (acknowledged.load(std::memory_order_acquire) != sent) io::cpu_relax();
  }
  stop.store(true);
  bell.wake();
  consumer.join();
  io::LatencyHistogram h;
  h.add(recorder);
  state.counters["p50_ns"] = static_cast<double>(h.value_at_percentile(50));
  state.counters["p99_ns"] = static_cast<double>(h.value_at_percentile(99));
  state.counters["max_ns"] = static_cast<double>(h.max_ns());
  state.counters["wakes"] = static_cast<double>(bell.wake_calls());
}

void BM_HandoffSpin(benchmark::State& state) {
  run_handoff(state, io::IdlePolicy{std::numeric_limits<std::uint32_t>::max(), 0});
}
void BM_HandoffYield(benchmark::State& state) {
  run_handoff(state, io::IdlePolicy{0, std::numeric_limits<std::uint32_t>::max()});
}
void BM_HandoffPark(benchmark::State& state) { run_handoff(state, io::IdlePolicy{0, 0}); }
void BM_HandoffDefault(benchmark::State& state) { run_handoff(state, io::IdlePolicy{}); }

// What one spin of the idle strategy costs: sets how long its spin phase
// lasts (constants::idle_spins_max pauses).
void BM_Pause(benchmark::State& state) {
  for (auto _ : state) io::cpu_relax();
}
BENCHMARK(BM_Pause);

// Gaps: 20 us (one 50,000/s inter-arrival) and 200 us (a quiet link).
BENCHMARK(BM_HandoffSpin)->Arg(20)->Arg(200)->UseRealTime();
BENCHMARK(BM_HandoffYield)->Arg(20)->Arg(200)->UseRealTime();
BENCHMARK(BM_HandoffPark)->Arg(20)->Arg(200)->UseRealTime();
BENCHMARK(BM_HandoffDefault)->Arg(20)->Arg(200)->UseRealTime();

}  // namespace
}  // namespace authswitch::bench

BENCHMARK_MAIN();
