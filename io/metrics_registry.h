// Prometheus metrics (SPEC 12): counters, gauges and latency histograms with
// labels, declared at start-up, rendered in the text exposition format on
// scrape.
//
// Start-up registers every series the switch will use (a link's name, the
// MTIs and response codes are all known then) and keeps the handles; the hot
// path only increments through a handle: one relaxed atomic add on the
// series' own cache line, no lookup, no lock, no allocation. Rendering
// allocates (it builds the text) and runs on the scraping thread.
//
// Families render in registration order, series within a family in
// registration order, so the text is stable and testable.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/constants.h"
#include "io/latency_histogram.h"

namespace authswitch::io {

struct Label {
  std::string_view name;
  std::string_view value;
};
using Labels = std::initializer_list<Label>;

namespace detail {
struct alignas(constants::cache_line_bytes) Slot {
  std::atomic<std::uint64_t> bits{0};  // counter value, or a gauge's double
};
}  // namespace detail

class Counter {
 public:
  Counter() = default;
  // Any thread.
  void inc(std::uint64_t n = 1) noexcept { slot_->bits.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t value() const noexcept { return slot_->bits.load(std::memory_order_relaxed); }

 private:
  friend class MetricsRegistry;
  explicit Counter(detail::Slot* slot) noexcept : slot_(slot) {}
  detail::Slot* slot_ = nullptr;
};

class Gauge {
 public:
  Gauge() = default;
  // Any thread; set() is the common use (inflight, link_up).
  void set(double value) noexcept;
  void add(double delta) noexcept;
  [[nodiscard]] double value() const noexcept;

 private:
  friend class MetricsRegistry;
  explicit Gauge(detail::Slot* slot) noexcept : slot_(slot) {}
  detail::Slot* slot_ = nullptr;
};

// One labelled histogram series, written by `writers` threads, each through
// its own recorder (recorder(i) belongs to thread i alone).
class HistogramSeries {
 public:
  explicit HistogramSeries(std::size_t writers);
  [[nodiscard]] LatencyRecorder& recorder(std::size_t writer) noexcept;
  [[nodiscard]] std::size_t writers() const noexcept { return recorders_.size(); }
  // Merges every writer's recorder (scrape side).
  void merge_into(LatencyHistogram& out) const noexcept;

 private:
  std::vector<std::unique_ptr<LatencyRecorder>> recorders_;
};

class MetricsRegistry {
 public:
  explicit MetricsRegistry(std::size_t series_max = constants::metrics_series_max);
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Start-up only. A family is created by its first series; later series of
  // the same name must agree on type and help. A bad name, a clash, a
  // duplicate label set or more than series_max series is a bug (asserted).
  [[nodiscard]] Counter counter(std::string_view name, std::string_view help, Labels labels = {});
  [[nodiscard]] Gauge gauge(std::string_view name, std::string_view help, Labels labels = {});
  [[nodiscard]] HistogramSeries& histogram(std::string_view name, std::string_view help, Labels labels,
                                           std::size_t writers);

  // Scrape. The Prometheus text exposition format 0.0.4.
  [[nodiscard]] std::string render() const;

 private:
  enum class Type { counter, gauge, histogram };
  struct Series {
    std::string labels;  // rendered: name="value",... (escaped), no braces
    detail::Slot* slot = nullptr;
    HistogramSeries* histogram = nullptr;
  };
  struct Family {
    std::string name;
    std::string help;
    Type type;
    std::vector<Series> series;
  };

  Series& add_series(std::string_view name, std::string_view help, Type type, Labels labels);

  std::size_t series_max_;
  std::size_t series_count_ = 0;
  std::unique_ptr<detail::Slot[]> slots_;
  std::vector<Family> families_;
  std::vector<std::unique_ptr<HistogramSeries>> histograms_;
};

// Label values escape \ " and newline; HELP text escapes \ and newline.
void append_escaped_label_value(std::string& out, std::string_view value);
void append_escaped_help(std::string& out, std::string_view help);

}  // namespace authswitch::io
