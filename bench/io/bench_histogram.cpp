// Cost of the hot-path metric updates and of a scrape.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "io/latency_histogram.h"
#include "io/metrics_registry.h"

namespace authswitch::bench {
namespace {

void BM_LatencyRecorderRecord(benchmark::State& state) {
  io::LatencyRecorder recorder;
  std::uint64_t value = 12'345;
  for (auto _ : state) {
    recorder.record(value);
    value = value * 6364136223846793005ULL + 1442695040888963407ULL;  // spread over buckets
    value >>= 40;
  }
  benchmark::DoNotOptimize(recorder.sum_ns());
}
BENCHMARK(BM_LatencyRecorderRecord);

void BM_CounterInc(benchmark::State& state) {
  io::MetricsRegistry registry(4);
  io::Counter counter = registry.counter("c_total", "c");
  for (auto _ : state) counter.inc();
  benchmark::DoNotOptimize(counter.value());
}
BENCHMARK(BM_CounterInc);

void BM_ScrapeOneHistogram(benchmark::State& state) {
  io::MetricsRegistry registry(4);
  io::HistogramSeries& series = registry.histogram("h_seconds", "h", {{"link", "net"}}, 2);
  for (std::uint64_t v = 1; v < 1'000'000; v += 37) series.recorder(v % 2).record(v * 11);
  for (auto _ : state) {
    std::string text = registry.render();
    benchmark::DoNotOptimize(text.data());
  }
}
BENCHMARK(BM_ScrapeOneHistogram);

void BM_PercentilesOfMergedHistogram(benchmark::State& state) {
  io::LatencyRecorder recorder;
  for (std::uint64_t v = 1; v < 1'000'000; v += 37) recorder.record(v * 11);
  io::LatencyHistogram merged;
  for (auto _ : state) {
    merged.clear();
    merged.add(recorder);
    benchmark::DoNotOptimize(merged.value_at_percentile(99.9));
  }
}
BENCHMARK(BM_PercentilesOfMergedHistogram);

}  // namespace
}  // namespace authswitch::bench

BENCHMARK_MAIN();
