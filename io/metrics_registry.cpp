#include "io/metrics_registry.h"

#include <bit>
#include <charconv>

#include "core/assert.h"

namespace authswitch::io {
namespace {

bool valid_name(std::string_view name, bool colon_allowed) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_allowed && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

void append_double(std::string& out, double value) {
  char text[32];
  const auto [end, ec] = std::to_chars(text, text + sizeof(text), value);
  AS_ASSERT(ec == std::errc{});
  out.append(text, end);
}

}  // namespace

void Gauge::set(double value) noexcept {
  slot_->bits.store(std::bit_cast<std::uint64_t>(value), std::memory_order_relaxed);
}

void Gauge::add(double delta) noexcept {
  std::uint64_t old_bits = slot_->bits.load(std::memory_order_relaxed);
  for (;;) {
    const auto new_bits = std::bit_cast<std::uint64_t>(std::bit_cast<double>(old_bits) + delta);
    if (slot_->bits.compare_exchange_weak(old_bits, new_bits, std::memory_order_relaxed)) return;
  }
}

double Gauge::value() const noexcept { return std::bit_cast<double>(slot_->bits.load(std::memory_order_relaxed)); }

HistogramSeries::HistogramSeries(std::size_t writers) {
  AS_ASSERT(writers >= 1);
  recorders_.reserve(writers);
  for (std::size_t i = 0; i < writers; ++i) recorders_.push_back(std::make_unique<LatencyRecorder>());
}

LatencyRecorder& HistogramSeries::recorder(std::size_t writer) noexcept {
  AS_ASSERT(writer < recorders_.size());
  return *recorders_[writer];
}

void HistogramSeries::merge_into(LatencyHistogram& out) const noexcept {
  for (const auto& recorder : recorders_) out.add(*recorder);
}

MetricsRegistry::MetricsRegistry(std::size_t series_max)
    : series_max_(series_max), slots_(std::make_unique<detail::Slot[]>(series_max)) {
  static_assert(sizeof(detail::Slot) == constants::cache_line_bytes);
}

MetricsRegistry::~MetricsRegistry() = default;

void append_escaped_label_value(std::string& out, std::string_view value) {
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_escaped_help(std::string& out, std::string_view help) {
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

MetricsRegistry::Series& MetricsRegistry::add_series(std::string_view name, std::string_view help, Type type,
                                                     Labels labels) {
  AS_ASSERT(valid_name(name, true));
  std::string rendered;
  for (const Label& label : labels) {
    AS_ASSERT(valid_name(label.name, false) && label.name != "le" && !label.name.starts_with("__"));
    if (!rendered.empty()) rendered += ',';
    rendered += label.name;
    rendered += "=\"";
    append_escaped_label_value(rendered, label.value);
    rendered += '"';
  }
  Family* family = nullptr;
  for (Family& f : families_) {
    if (f.name == name) family = &f;
  }
  if (family == nullptr) {
    families_.push_back(Family{std::string(name), std::string(help), type, {}});
    family = &families_.back();
  }
  AS_ASSERT(family->type == type && family->help == help);
  for (const Series& s : family->series) AS_ASSERT(s.labels != rendered);
  family->series.push_back(Series{std::move(rendered), nullptr, nullptr});
  return family->series.back();
}

Counter MetricsRegistry::counter(std::string_view name, std::string_view help, Labels labels) {
  AS_ASSERT(series_count_ < series_max_);
  Series& series = add_series(name, help, Type::counter, labels);
  series.slot = &slots_[series_count_++];
  return Counter(series.slot);
}

Gauge MetricsRegistry::gauge(std::string_view name, std::string_view help, Labels labels) {
  AS_ASSERT(series_count_ < series_max_);
  Series& series = add_series(name, help, Type::gauge, labels);
  series.slot = &slots_[series_count_++];
  return Gauge(series.slot);
}

HistogramSeries& MetricsRegistry::histogram(std::string_view name, std::string_view help, Labels labels,
                                            std::size_t writers) {
  AS_ASSERT(series_count_ < series_max_);
  ++series_count_;
  Series& series = add_series(name, help, Type::histogram, labels);
  histograms_.push_back(std::make_unique<HistogramSeries>(writers));
  series.histogram = histograms_.back().get();
  return *series.histogram;
}

std::string MetricsRegistry::render() const {
  std::string out;
  LatencyHistogram merged;
  for (const Family& family : families_) {
    out += "# HELP ";
    out += family.name;
    out += ' ';
    append_escaped_help(out, family.help);
    out += "\n# TYPE ";
    out += family.name;
    out += family.type == Type::counter ? " counter\n" : family.type == Type::gauge ? " gauge\n" : " histogram\n";
    for (const Series& series : family.series) {
      if (family.type == Type::histogram) {
        merged.clear();
        series.histogram->merge_into(merged);
        merged.append_prometheus(out, family.name, series.labels);
        continue;
      }
      out += family.name;
      if (!series.labels.empty()) {
        out += '{';
        out += series.labels;
        out += '}';
      }
      out += ' ';
      const std::uint64_t bits = series.slot->bits.load(std::memory_order_relaxed);
      if (family.type == Type::counter) {
        out += std::to_string(bits);
      } else {
        append_double(out, std::bit_cast<double>(bits));
      }
      out += '\n';
    }
  }
  return out;
}

}  // namespace authswitch::io
