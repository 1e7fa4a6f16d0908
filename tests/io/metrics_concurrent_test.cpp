// A scraper renders while writer threads record: every read is of a whole
// counter (ThreadSanitizer checks there is no data race), and the final
// scrape sees every recorded value.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "io/metrics_registry.h"

namespace authswitch::io {
namespace {

TEST(MetricsConcurrent, ScrapingWhileRecordingSeesConsistentTotals) {
  constexpr std::uint64_t per_writer = 200'000;
  MetricsRegistry registry(8);
  Counter messages = registry.counter("m_total", "m");
  HistogramSeries& latency = registry.histogram("l_seconds", "l", {}, 2);
  std::atomic<int> running{2};
  std::atomic<bool> scraped_midway{false};
  const auto writer = [&](std::size_t index) {
    LatencyRecorder& recorder = latency.recorder(index);
    for (std::uint64_t i = 1; i <= per_writer; ++i) {
      // Halfway, hold until the scraper has rendered at least once, so a
      // scrape provably overlaps recording however the threads are scheduled.
      if (i == per_writer / 2) {
        while (!scraped_midway.load()) std::this_thread::yield();
      }
      recorder.record(i);
      messages.inc();
    }
    running.fetch_sub(1);
  };
  std::thread a(writer, 0);
  std::thread b(writer, 1);
  std::size_t scrapes = 0;
  while (running.load() != 0) {
    const std::string text = registry.render();
    ASSERT_NE(text.find("l_seconds_bucket{le=\"+Inf\"}"), std::string::npos);
    ++scrapes;
    scraped_midway.store(true);
  }
  a.join();
  b.join();
  const std::string text = registry.render();
  EXPECT_NE(text.find("m_total 400000\n"), std::string::npos) << text.substr(0, 200);
  EXPECT_NE(text.find("l_seconds_count 400000\n"), std::string::npos);
  EXPECT_GT(scrapes, 0u);
}

}  // namespace
}  // namespace authswitch::io
