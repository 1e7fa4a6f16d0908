#include "io/switch_metrics.h"

#include "core/assert.h"

namespace authswitch::io {

std::size_t response_mti_index(std::string_view mti) noexcept {
  for (std::size_t i = 0; i + 1 < response_mtis.size(); ++i) {
    if (response_mtis[i] == mti) return i;
  }
  return response_mtis.size() - 1;
}

SwitchMetrics::SwitchMetrics(MetricsRegistry& registry, const std::vector<std::string>& link_names,
                             std::size_t auth_threads, std::size_t connection_slots) {
  AS_ASSERT(link_names.size() <= constants::switch_links_max);  // the config's bound (io/config.cpp)
  links.resize(link_names.size());
  for (std::size_t l = 0; l < link_names.size(); ++l) {
    LinkMetrics& m = links[l];
    const std::string_view link = link_names[l];
    for (std::size_t i = 0; i < response_mtis.size(); ++i) {
      for (int rc = 0; rc < core::response_code_count; ++rc) {
        m.messages[i][static_cast<std::size_t>(rc)] = registry.counter(
            "authswitch_messages_total", "Responses written, by link, response MTI and response code",
            {{"link", link}, {"mti", response_mtis[i]},
             {"rc", core::response_code_text(static_cast<core::ResponseCode>(rc))}});
      }
    }
    m.dropped = registry.counter("authswitch_dropped_total", "Messages recorded and dropped (stray responses, unreadable)",
                                 {{"link", link}});
    m.out_of_step = registry.counter("authswitch_out_of_step_total",
                                     "Connections closed for a frame length of 0 or above max_message_bytes",
                                     {{"link", link}});
    m.shed_inflight = registry.counter("authswitch_shed_inflight_total",
                                       "Requests answered 91 at once: max_inflight requests were in flight on the link",
                                       {{"link", link}});
    m.inflight = registry.gauge("authswitch_inflight", "Requests read and not yet answered", {{"link", link}});
    m.link_up = registry.gauge("authswitch_link_up", "1 while a listen link accepts or a connect link is connected",
                               {{"link", link}});
    m.end_to_end = &registry.histogram("authswitch_end_to_end_seconds", "Receive to answer written",
                                       {{"link", link}}, connection_slots);
  }
  decision = &registry.histogram("authswitch_decision_seconds", "Time in the decision core", {}, auth_threads);
  duplicates = registry.counter("authswitch_duplicates_total", "Requests whose key was seen before");
  shed_log_room = registry.counter("authswitch_shed_log_queue_total",
                                   "Requests answered 91 without a decision: no room in the log queue");
}

}  // namespace authswitch::io
