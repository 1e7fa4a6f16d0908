// loadgen's outputs (SPEC 11): the one-line JSON summary, and with --report
// the latency distribution as HdrHistogram's percentile text (latency.hgrm)
// and a plot of it (latency.svg) drawn the way HdrHistogram's plotter draws
// one: percentile on a log scale of 1/(1 - p) on x, latency (us) on y.
#pragma once

#include <string>

#include "io/latency_histogram.h"

namespace authswitch::io {

struct LoadgenResult;

// {"sent":..,"answered":..,"timeouts":..,"by_rc":{"00":..},"p50_us":..,
//  "p99_us":..,"p999_us":..,"max_us":..,"per_s":..,"mismatches":..,"unmatched":..}
[[nodiscard]] std::string loadgen_summary_json(const LoadgenResult& result);

// The SVG text of the plot (no file written); `title` goes on top.
[[nodiscard]] std::string latency_svg(const LatencyHistogram& latency, const std::string& title);

// Writes DIR/latency.hgrm and DIR/latency.svg (DIR is created if missing);
// an error message naming the file, or empty.
[[nodiscard]] std::string write_latency_report(const std::string& dir, const LatencyHistogram& latency,
                                               const std::string& title);

}  // namespace authswitch::io
