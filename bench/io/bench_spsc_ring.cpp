// SPSC ring: throughput and ping-pong round trip between two pinned threads
// (the figures rigtorp/SPSCQueue reports), plus moodycamel's MPMC
// ConcurrentQueue on the same test as a reference point.
#include <benchmark/benchmark.h>
#include <concurrentqueue/concurrentqueue.h>

#include <cstdint>
#include <thread>

#include "bench/io/pinning.h"
#include "io/spsc_ring.h"

namespace authswitch::bench {
namespace {

constexpr std::size_t ring_capacity = 4096;

void BM_SpscRingThroughput(benchmark::State& state) {
  const auto items = static_cast<std::uint64_t>(state.max_iterations);
  io::SpscRing<std::uint64_t> ring(ring_capacity);
  pin_bench_thread(0, "bench-consumer");
  std::thread producer([&] {
    pin_bench_thread(1, "bench-producer");
    for (std::uint64_t i = 0; i < items; ++i) {
      while (!ring.try_push(i)) {
      }
    }
  });
  std::uint64_t sum = 0;
  for (auto _ : state) {
    const std::uint64_t* item;
    while ((item = ring.front()) == nullptr) {
    }
    sum += *item;
    ring.pop();
  }
  producer.join();
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SpscRingThroughput)->UseRealTime();

void BM_SpscRingBatchThroughput(benchmark::State& state) {
  const auto items = static_cast<std::uint64_t>(state.max_iterations) * 64;
  io::SpscRing<std::uint64_t> ring(ring_capacity);
  pin_bench_thread(0, "bench-consumer");
  std::thread producer([&] {
    pin_bench_thread(1, "bench-producer");
    for (std::uint64_t i = 0; i < items; ++i) {
      while (!ring.try_push(i)) {
      }
    }
  });
  std::uint64_t sum = 0;
  std::uint64_t received = 0;
  for (auto _ : state) {
    // One iteration is 64 items, taken in as few batches as arrive.
    const std::uint64_t target = received + 64;
    while (received < target) {
      received += ring.pop_batch(target - received, [&](std::uint64_t& v) { sum += v; });
    }
  }
  producer.join();
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(BM_SpscRingBatchThroughput)->UseRealTime();

void BM_SpscRingRoundTrip(benchmark::State& state) {
  const auto round_trips = static_cast<std::uint64_t>(state.max_iterations);
  io::SpscRing<std::uint64_t> ping(ring_capacity);
  io::SpscRing<std::uint64_t> pong(ring_capacity);
  pin_bench_thread(0, "bench-ping");
  std::thread echo([&] {
    pin_bench_thread(1, "bench-pong");
    for (std::uint64_t i = 0; i < round_trips; ++i) {
      const std::uint64_t* item;
      while ((item = ping.front()) == nullptr) {
      }
      const std::uint64_t v = *item;
      ping.pop();
      while (!pong.try_push(v)) {
      }
    }
  });
  std::uint64_t i = 0;
  for (auto _ : state) {
    while (!ping.try_push(i)) {
    }
    const std::uint64_t* item;
    while ((item = pong.front()) == nullptr) {
    }
    pong.pop();
    ++i;
  }
  echo.join();  // the reported time per iteration is one round trip
}
BENCHMARK(BM_SpscRingRoundTrip)->UseRealTime();

void BM_MoodycamelConcurrentQueueThroughput(benchmark::State& state) {
  const auto items = static_cast<std::uint64_t>(state.max_iterations);
  moodycamel::ConcurrentQueue<std::uint64_t> queue(ring_capacity);
  pin_bench_thread(0, "bench-consumer");
  std::thread producer([&] {
    pin_bench_thread(1, "bench-producer");
    moodycamel::ProducerToken token(queue);
    for (std::uint64_t i = 0; i < items; ++i) {
      while (!queue.try_enqueue(token, i)) {
      }
    }
  });
  std::uint64_t sum = 0;
  for (auto _ : state) {
    std::uint64_t v;
    while (!queue.try_dequeue(v)) {
    }
    sum += v;
  }
  producer.join();
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MoodycamelConcurrentQueueThroughput)->UseRealTime();

}  // namespace
}  // namespace authswitch::bench

BENCHMARK_MAIN();
