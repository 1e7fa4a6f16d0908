// The switch's series in a MetricsRegistry (SPEC 12), registered at start-up
// so the hot path only bumps handles: messages per link, response MTI and
// response code; in-flight and link-up gauges; decision and end-to-end
// histograms. Another engineer's HTTP API renders the registry at /metrics.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/response_code.h"
#include "io/metrics_registry.h"
#include "io/switch_constants.h"

namespace authswitch::io {

// Response MTIs the switch writes, in a fixed order for the counter table.
inline constexpr std::array<std::string_view, 7> response_mtis = {"0110", "0210", "0130", "0410", "0430", "0810",
                                                                  "other"};
[[nodiscard]] std::size_t response_mti_index(std::string_view mti) noexcept;

struct LinkMetrics {
  std::array<std::array<Counter, core::response_code_count>, response_mtis.size()> messages{};
  Counter dropped;  // stray responses, unreadable messages
  Counter out_of_step;
  Counter shed_inflight;  // 91 at once: the link's max_inflight in flight, all its connections together
  Gauge inflight;  // set at each scrape from LinkState::inflight_now() (SwitchRuntime::render_metrics)
  Gauge link_up;
  HistogramSeries* end_to_end = nullptr;  // writer i: connection slot i
};

// Series one link registers (the constructor): a message counter per
// response MTI and code, then dropped, out_of_step, shed_inflight, inflight,
// link_up and end_to_end.
inline constexpr std::size_t switch_series_per_link =
    response_mtis.size() * static_cast<std::size_t>(core::response_code_count) + 6;
// Series registered besides the links' (this file's three and the runtime's
// own, 11 today), with room to grow.
inline constexpr std::size_t switch_series_other_max = 256;
// The registry's fixed size holds the most links a config may name
// (switch_links_max): 8 x 118 + 256 = 1,200 of 4,096.
static_assert(constants::switch_links_max * switch_series_per_link + switch_series_other_max <=
              constants::metrics_series_max);

struct SwitchMetrics {
  SwitchMetrics(MetricsRegistry& registry, const std::vector<std::string>& link_names, std::size_t auth_threads,
                std::size_t connection_slots);
  std::vector<LinkMetrics> links;
  HistogramSeries* decision = nullptr;  // writer i: authorization thread i
  Counter duplicates;
  Counter shed_log_room;  // 91 from an authorization thread: no room in its log queue (core untouched)
};

}  // namespace authswitch::io
