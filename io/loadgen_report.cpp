#include "io/loadgen_report.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "io/loadgen.h"

namespace authswitch::io {
namespace {

// Plot geometry (px): the plot area and the margins that hold the labels.
constexpr double svg_width = 900, svg_height = 520;
constexpr double plot_left = 80, plot_right = 860, plot_top = 50, plot_bottom = 450;
// x = log10(1 / (1 - p)): 0 is the median's left (p = 0), 1 is 90%, 2 is 99%...
// 6 (99.9999%) is as far as HdrHistogram's plots go; a run of N answers
// resolves percentiles to about log10(N).
constexpr double x_decades_max = 6;
constexpr double x_step = 0.02;  // 50 points a decade: smooth at this width

double us(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

// 1, 2, 5 x 10^k: a grid step giving about `lines` lines up to `top`.
double nice_step(double top, int lines) {
  const double raw = top / lines;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * magnitude) return m * magnitude;
  }
  return 10 * magnitude;
}

std::string escape_xml(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

bool write_file(const std::string& path, const std::string& text, std::string& error) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    error = path + ": cannot write: " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

std::string loadgen_summary_json(const LoadgenResult& result) {
  std::string by_rc;
  for (std::size_t rc = 0; rc < result.counts.by_rc.size(); ++rc) {
    if (result.counts.by_rc[rc] == 0) continue;
    char item[48];
    std::snprintf(item, sizeof item, "%s\"%02zu\":%llu", by_rc.empty() ? "" : ",", rc,
                  static_cast<unsigned long long>(result.counts.by_rc[rc]));
    by_rc += item;
  }
  if (result.counts.rc_other != 0) {
    by_rc += (by_rc.empty() ? "" : ",") + std::string("\"other\":") + std::to_string(result.counts.rc_other);
  }
  const LatencyHistogram& h = result.latency;
  char line[1024];
  std::snprintf(line, sizeof line,
                "{\"sent\":%llu,\"answered\":%llu,\"timeouts\":%llu,\"by_rc\":{%s},\"p50_us\":%.1f,\"p99_us\":%.1f,"
                "\"p999_us\":%.1f,\"max_us\":%.1f,\"per_s\":%.0f,\"mismatches\":%llu,\"unmatched\":%llu,"
                "\"switch_echoes\":%llu,\"unsent\":%llu}",
                static_cast<unsigned long long>(result.sent), static_cast<unsigned long long>(result.answered),
                static_cast<unsigned long long>(result.timeouts), by_rc.c_str(), us(h.value_at_percentile(50)),
                us(h.value_at_percentile(99)), us(h.value_at_percentile(99.9)), us(h.max_ns()), result.per_s,
                static_cast<unsigned long long>(result.counts.mismatches),
                static_cast<unsigned long long>(result.unmatched),
                static_cast<unsigned long long>(result.switch_echoes),
                static_cast<unsigned long long>(result.unsent));
  return line;
}

std::string latency_svg(const LatencyHistogram& latency, const std::string& title) {
  const double decades = latency.total_count() < 10
                             ? 1.0
                             : std::min(x_decades_max, std::ceil(std::log10(static_cast<double>(latency.total_count()))));
  const double y_top_raw = std::max(1.0, us(latency.max_ns()) * 1.05);
  const double y_step = nice_step(y_top_raw, 8);
  const double y_top = std::ceil(y_top_raw / y_step) * y_step;
  const auto x_of = [&](double decade) { return plot_left + (plot_right - plot_left) * decade / decades; };
  const auto y_of = [&](double value_us) { return plot_bottom - (plot_bottom - plot_top) * value_us / y_top; };

  std::string svg;
  char buffer[512];
  std::snprintf(buffer, sizeof buffer,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                svg_width, svg_height, svg_width, svg_height);
  svg += buffer;
  svg += "<text x=\"" + std::to_string(static_cast<int>(svg_width / 2)) +
         "\" y=\"25\" text-anchor=\"middle\" font-size=\"15\">" + escape_xml(title) + "</text>\n";
  // Grid and labels: latency every y_step, percentile every decade.
  for (double v = 0; v <= y_top + y_step / 2; v += y_step) {
    std::snprintf(buffer, sizeof buffer,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                  plot_left, y_of(v), plot_right, y_of(v), plot_left - 6, y_of(v) + 4, v);
    svg += buffer;
  }
  static const char* const percentile_labels[] = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"};
  for (int d = 0; d <= static_cast<int>(decades); ++d) {
    std::snprintf(buffer, sizeof buffer,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                  x_of(d), plot_top, x_of(d), plot_bottom, x_of(d), plot_bottom + 18, percentile_labels[d]);
    svg += buffer;
  }
  std::snprintf(buffer, sizeof buffer,
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">percentile</text>\n"
                "<text x=\"20\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 20 %.1f)\">"
                "latency (us, from the due time)</text>\n",
                (plot_left + plot_right) / 2, plot_bottom + 45, (plot_top + plot_bottom) / 2,
                (plot_top + plot_bottom) / 2);
  svg += buffer;
  // The curve: value at percentile 100 (1 - 10^-x) for x in [0, decades].
  svg += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"";
  if (latency.total_count() != 0) {
    for (double x = 0; x <= decades + x_step / 2; x += x_step) {
      const double percentile = 100.0 * (1.0 - std::pow(10.0, -x));
      std::snprintf(buffer, sizeof buffer, "%.1f,%.1f ", x_of(x), y_of(us(latency.value_at_percentile(percentile))));
      svg += buffer;
    }
  }
  svg += "\"/>\n";
  std::snprintf(buffer, sizeof buffer,
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%llu answers; p50 %.1f us, p99 %.1f "
                "us, p99.9 %.1f us, max %.1f us</text>\n</svg>\n",
                plot_right, plot_top - 8, static_cast<unsigned long long>(latency.total_count()),
                us(latency.value_at_percentile(50)), us(latency.value_at_percentile(99)),
                us(latency.value_at_percentile(99.9)), us(latency.max_ns()));
  svg += buffer;
  return svg;
}

std::string write_latency_report(const std::string& dir, const LatencyHistogram& latency, const std::string& title) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return dir + ": cannot create: " + std::strerror(errno);
  std::string hgrm;
  latency.append_percentile_distribution(hgrm, 1000.0);
  std::string error;
  if (!write_file(dir + "/latency.hgrm", hgrm, error)) return error;
  if (!write_file(dir + "/latency.svg", latency_svg(latency, title), error)) return error;
  return {};
}

}  // namespace authswitch::io
