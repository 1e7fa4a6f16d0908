// HDR-style latency histograms (SPEC 12): recorded per thread without a lock
// or an allocation, merged when scraped.
//
// LatencyRecorder is the hot side: one writer thread, counters that are
// relaxed atomics written with a plain load+store (no locked instruction), so
// a scraper on another thread may read them at any time and sees each counter
// whole. LatencyHistogram is the cold side: a plain copy that recorders are
// merged into, with the percentile walk and the two text outputs.
//
// Values are integer nanoseconds; layout and edges are io/hdr_layout.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "io/hdr_layout.h"

namespace authswitch::io {

class LatencyRecorder {
 public:
  LatencyRecorder();  // allocates the counters: start-up only

  // Single writer. No lock, no allocation, no locked instruction.
  void record(std::uint64_t value_ns) noexcept {
    if (value_ns > hdr::highest_trackable) {
      bump(saturated_);
      value_ns = hdr::highest_trackable;
    }
    bump(counts_[hdr::counts_index(value_ns)]);
    add(sum_ns_, value_ns);
    if (value_ns > max_ns_.load(std::memory_order_relaxed)) max_ns_.store(value_ns, std::memory_order_relaxed);
  }

  // Any thread.
  [[nodiscard]] std::uint64_t count_at_index(std::size_t index) const noexcept {
    return counts_[index].load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t sum_ns() const noexcept { return sum_ns_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t max_ns() const noexcept { return max_ns_.load(std::memory_order_relaxed); }
  // Values above hdr::highest_trackable, recorded as that.
  [[nodiscard]] std::uint64_t saturated() const noexcept { return saturated_.load(std::memory_order_relaxed); }

 private:
  static void bump(std::atomic<std::uint64_t>& counter) noexcept { add(counter, 1); }
  static void add(std::atomic<std::uint64_t>& counter, std::uint64_t n) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<std::uint64_t> sum_ns_{0};
  std::atomic<std::uint64_t> max_ns_{0};
  std::atomic<std::uint64_t> saturated_{0};
};

class LatencyHistogram {
 public:
  LatencyHistogram();  // allocates the counters

  void record(std::uint64_t value_ns, std::uint64_t count = 1) noexcept;
  void add(const LatencyRecorder& recorder) noexcept;
  void add(const LatencyHistogram& other) noexcept;
  void clear() noexcept;

  [[nodiscard]] std::uint64_t total_count() const noexcept { return total_count_; }
  [[nodiscard]] std::uint64_t sum_ns() const noexcept { return sum_ns_; }
  // HdrHistogram's getMax(): the top of the largest value's bucket.
  [[nodiscard]] std::uint64_t max_ns() const noexcept;
  // HdrHistogram's getValueAtPercentile(): the top of the bucket holding the
  // percentile's rank (the bottom for percentile 0). 0 when empty.
  [[nodiscard]] std::uint64_t value_at_percentile(double percentile) const noexcept;
  // Over bucket midpoints, as HdrHistogram computes them.
  [[nodiscard]] double mean_ns() const noexcept;
  [[nodiscard]] double stddev_ns() const noexcept;
  [[nodiscard]] std::uint64_t count_at_index(std::size_t index) const noexcept { return counts_[index]; }

  // HdrHistogram's outputPercentileDistribution(), values divided by
  // value_scale (1000.0 prints microseconds), 5 ticks per half distance.
  void append_percentile_distribution(std::string& out, double value_scale, int ticks_per_half_distance = 5) const;

  // A Prometheus histogram in seconds: one cumulative `_bucket` per non-empty
  // HDR bucket (le = its highest value; buckets only ever appear, so series
  // stay stable between scrapes), `+Inf`, `_sum`, `_count`. `labels` is the
  // rendered label list without braces ("link=\"net\""), or empty. No
  // HELP/TYPE lines: the registry writes those once per family.
  void append_prometheus(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::unique_ptr<std::uint64_t[]> counts_;
  std::uint64_t total_count_ = 0;
  std::uint64_t sum_ns_ = 0;
  std::uint64_t max_value_ns_ = 0;
};

// Integer nanoseconds as exact decimal seconds ("0.000001003", "2", "+Inf"
// is not produced here), the form Prometheus values and `le` labels take.
void append_seconds(std::string& out, std::uint64_t ns);

}  // namespace authswitch::io
