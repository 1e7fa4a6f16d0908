#include "io/latency_histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>

#include "core/assert.h"

namespace authswitch::io {
namespace {

[[gnu::format(printf, 2, 3)]] void append_format(std::string& out, const char* format, ...) {
  char line[160];
  std::va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(line, sizeof(line), format, args);
  va_end(args);
  AS_ASSERT(n >= 0 && static_cast<std::size_t>(n) < sizeof(line));
  out.append(line, static_cast<std::size_t>(n));
}

}  // namespace

LatencyRecorder::LatencyRecorder() : counts_(std::make_unique<std::atomic<std::uint64_t>[]>(hdr::counts_len)) {
  static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
}

LatencyHistogram::LatencyHistogram() : counts_(std::make_unique<std::uint64_t[]>(hdr::counts_len)) {}

void LatencyHistogram::record(std::uint64_t value_ns, std::uint64_t count) noexcept {
  value_ns = std::min(value_ns, hdr::highest_trackable);
  counts_[hdr::counts_index(value_ns)] += count;
  total_count_ += count;
  sum_ns_ += value_ns * count;
  max_value_ns_ = std::max(max_value_ns_, value_ns);
}

void LatencyHistogram::add(const LatencyRecorder& recorder) noexcept {
  // The total is summed from the counters read, so percentiles stay
  // consistent even while the writer keeps recording.
  for (std::size_t i = 0; i < hdr::counts_len; ++i) {
    const std::uint64_t count = recorder.count_at_index(i);
    counts_[i] += count;
    total_count_ += count;
  }
  sum_ns_ += recorder.sum_ns();
  max_value_ns_ = std::max(max_value_ns_, recorder.max_ns());
}

void LatencyHistogram::add(const LatencyHistogram& other) noexcept {
  for (std::size_t i = 0; i < hdr::counts_len; ++i) counts_[i] += other.counts_[i];
  total_count_ += other.total_count_;
  sum_ns_ += other.sum_ns_;
  max_value_ns_ = std::max(max_value_ns_, other.max_value_ns_);
}

void LatencyHistogram::clear() noexcept {
  std::fill_n(counts_.get(), hdr::counts_len, std::uint64_t{0});
  total_count_ = sum_ns_ = max_value_ns_ = 0;
}

std::uint64_t LatencyHistogram::max_ns() const noexcept {
  return max_value_ns_ == 0 ? 0 : hdr::highest_equivalent(max_value_ns_);
}

std::uint64_t LatencyHistogram::value_at_percentile(double percentile) const noexcept {
  if (total_count_ == 0) return 0;
  const double requested = std::clamp(percentile, 0.0, 100.0);
  auto rank = static_cast<std::uint64_t>((requested / 100.0) * static_cast<double>(total_count_) + 0.5);
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < hdr::counts_len; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::uint64_t value = hdr::value_from_index(i);
      return percentile == 0.0 ? hdr::lowest_equivalent(value) : hdr::highest_equivalent(value);
    }
  }
  return 0;  // unreachable while total_count_ matches the counters
}

double LatencyHistogram::mean_ns() const noexcept {
  if (total_count_ == 0) return 0.0;
  double total = 0.0;
  for (std::size_t i = 0; i < hdr::counts_len; ++i) {
    if (counts_[i] == 0) continue;
    total += static_cast<double>(hdr::median_equivalent(hdr::value_from_index(i))) * static_cast<double>(counts_[i]);
  }
  return total / static_cast<double>(total_count_);
}

double LatencyHistogram::stddev_ns() const noexcept {
  if (total_count_ == 0) return 0.0;
  const double mean = mean_ns();
  double total = 0.0;
  for (std::size_t i = 0; i < hdr::counts_len; ++i) {
    if (counts_[i] == 0) continue;
    const double deviation = static_cast<double>(hdr::median_equivalent(hdr::value_from_index(i))) - mean;
    total += deviation * deviation * static_cast<double>(counts_[i]);
  }
  return std::sqrt(total / static_cast<double>(total_count_));
}

void LatencyHistogram::append_percentile_distribution(std::string& out, double value_scale,
                                                      int ticks_per_half_distance) const {
  AS_ASSERT(value_scale > 0.0 && ticks_per_half_distance > 0);
  append_format(out, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");

  // HdrHistogram's PercentileIterator, step for step: walk the counters,
  // emitting a line each time the cumulative percentile reaches the next
  // reporting level; levels get denser towards 100% (ticks double every
  // halving of the distance to 100%), then one last line at 100%.
  const std::uint64_t total = total_count_;
  std::size_t index = 0;
  std::uint64_t count_to_index = 0;
  bool fresh_index = true;
  double level = 0.0;
  bool reached_last = false;
  for (;;) {
    if (count_to_index >= total) {
      if (reached_last || total == 0) break;
      level = 100.0;
      reached_last = true;
    }
    bool emitted = false;
    while (index < hdr::counts_len) {
      const std::uint64_t count = counts_[index];
      if (fresh_index) {
        count_to_index += count;
        fresh_index = false;
      }
      const double percentile_here = 100.0 * static_cast<double>(count_to_index) / static_cast<double>(total);
      if (count != 0 && percentile_here >= level) {
        const double value = static_cast<double>(hdr::highest_equivalent(hdr::value_from_index(index))) / value_scale;
        const double fraction = level / 100.0;
        if (level != 100.0) {
          append_format(out, "%12.2f %2.12f %10llu %14.2f\n", value, fraction,
                        static_cast<unsigned long long>(count_to_index), 1.0 / (1.0 - fraction));
          const double halvings = std::floor(std::log(100.0 / (100.0 - level)) / std::log(2.0));
          const double ticks = static_cast<double>(ticks_per_half_distance) * std::pow(2.0, halvings + 1.0);
          level += 100.0 / ticks;
        } else {
          append_format(out, "%12.2f %2.12f %10llu\n", value, fraction,
                        static_cast<unsigned long long>(count_to_index));
        }
        emitted = true;
        break;
      }
      ++index;
      fresh_index = true;
    }
    if (!emitted) break;
  }

  append_format(out, "#[Mean    = %12.2f, StdDeviation   = %12.2f]\n", mean_ns() / value_scale,
                stddev_ns() / value_scale);
  append_format(out, "#[Max     = %12.2f, Total count    = %12llu]\n", static_cast<double>(max_ns()) / value_scale,
                static_cast<unsigned long long>(total));
  append_format(out, "#[Buckets = %12d, SubBuckets     = %12d]\n", hdr::bucket_count,
                static_cast<int>(hdr::sub_bucket_count));
}

void append_seconds(std::string& out, std::uint64_t ns) {
  constexpr std::uint64_t ns_per_s = 1'000'000'000;
  out += std::to_string(ns / ns_per_s);
  std::uint64_t fraction = ns % ns_per_s;
  if (fraction == 0) return;
  char digits[10] = "000000000";
  for (int i = 8; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  int length = 9;
  while (digits[length - 1] == '0') --length;
  out += '.';
  out.append(digits, static_cast<std::size_t>(length));
}

void LatencyHistogram::append_prometheus(std::string& out, std::string_view name, std::string_view labels) const {
  const auto open_series = [&](std::string_view suffix) {
    out += name;
    out += suffix;
    out += '{';
    out += labels;
    if (!labels.empty()) out += ',';
  };
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < hdr::counts_len; ++i) {
    if (counts_[i] == 0) continue;
    cumulative += counts_[i];
    open_series("_bucket");
    out += "le=\"";
    append_seconds(out, hdr::highest_equivalent(hdr::value_from_index(i)));
    out += "\"} ";
    out += std::to_string(cumulative);
    out += '\n';
  }
  open_series("_bucket");
  out += "le=\"+Inf\"} ";
  out += std::to_string(total_count_);
  out += '\n';
  const auto plain_series = [&](std::string_view suffix) {
    out += name;
    out += suffix;
    if (!labels.empty()) {
      out += '{';
      out += labels;
      out += '}';
    }
    out += ' ';
  };
  plain_series("_sum");
  append_seconds(out, sum_ns_);
  out += '\n';
  plain_series("_count");
  out += std::to_string(total_count_);
  out += '\n';
}

}  // namespace authswitch::io
