#include "io/loadgen.h"

#include <vector>

#include "io/hdr_layout.h"
#include "io/loadgen_cards.h"
#include "io/loadgen_relay.h"
#include "io/loadgen_report.h"
#include "io/open_loop_client.h"

namespace authswitch::io {
namespace {

// The progress line: counts so far and the p99 of the last second alone
// (the difference of two snapshots of the recorder), so a stall shows in the
// second it happens rather than being averaged away.
struct Progress {
  std::FILE* out = nullptr;
  const LatencyRecorder* recorder = nullptr;
  LoadgenSource* source = nullptr;
  std::vector<std::uint64_t> previous = std::vector<std::uint64_t>(hdr::counts_len);
  LatencyHistogram interval;
  unsigned seconds = 0;
};

void print_progress(void* context, std::uint64_t sent, std::uint64_t answered) {
  auto& p = *static_cast<Progress*>(context);
  p.interval.clear();
  for (std::size_t i = 0; i < hdr::counts_len; ++i) {
    const std::uint64_t now = p.recorder->count_at_index(i);
    if (now != p.previous[i]) p.interval.record(hdr::value_from_index(i), now - p.previous[i]);
    p.previous[i] = now;
  }
  ++p.seconds;
  std::fprintf(p.out, "loadgen: %3us sent %llu answered %llu timeouts %llu p99 %.1f us (last second)\n", p.seconds,
               static_cast<unsigned long long>(sent), static_cast<unsigned long long>(answered),
               static_cast<unsigned long long>(p.source->overdue_so_far()),
               static_cast<double>(p.interval.value_at_percentile(99)) / 1000.0);
  std::fflush(p.out);
}

}  // namespace

LoadgenResult run_loadgen(const LoadgenOptions& options) {
  LoadgenResult result;
  CardPoolResult cards = load_card_pool(options.cards_file, options.demo_cards);
  if (!cards.error.empty()) {
    result.error = cards.error;
    result.bad_cards = true;
    return result;
  }
  LoadgenSource source(cards.pool, LoadgenSourceOptions{.mix = options.mix, .seed = options.seed,
                                                        .timeout = options.timeout, .acquirer = "424242"});
  LatencyRecorder recorder;
  Progress progress;
  progress.out = options.progress;
  progress.recorder = &recorder;
  progress.source = &source;

  OpenLoopOptions client;
  client.host = options.host;
  client.port = options.port;
  client.rate_per_s = options.rate_per_s;
  client.seconds = options.seconds;
  client.connections = options.connections;
  client.drain_timeout = options.timeout;
  client.inflight_slots = loadgen_table_slots;
  if (options.progress != nullptr) {
    client.progress = print_progress;
    client.progress_context = &progress;
  }

  // --listen: the switch connects to us; the open-loop client only connects,
  // so a relay accepts the switch's links and hands them a loopback pair.
  Relay relay;
  if (options.listen) {
    if (std::string error = relay.start(options.host, options.port, options.connections, options.accept_timeout);
        !error.empty()) {
      result.error = error;
      return result;
    }
    client.host = "127.0.0.1";
    client.port = relay.client_port();
  }
  const OpenLoopResult run = run_open_loop(client, source, recorder);
  relay.stop();

  result.error = run.error;
  result.counts = source.counts();
  result.sent = run.sent;
  result.unsent = run.unsent;
  result.answered = run.answered - result.counts.late;
  result.timeouts = run.timeouts + result.counts.late;
  result.unmatched = run.unmatched;
  result.switch_echoes = run.server_requests;
  result.per_s = run.elapsed_s > 0 ? static_cast<double>(run.answered) / run.elapsed_s : 0.0;
  result.latency.add(recorder);
  if (!options.report_dir.empty()) {
    const std::string title = "authswitch loadgen: " + std::to_string(options.rate_per_s) + "/s for " +
                              std::to_string(static_cast<long long>(options.seconds)) + " s over " +
                              std::to_string(options.connections) + " connection(s)";
    if (std::string error = write_latency_report(options.report_dir, result.latency, title); !error.empty()) {
      if (result.error.empty()) result.error = error;
    } else {
      result.report_svg = options.report_dir + "/latency.svg";
    }
  }
  return result;
}

}  // namespace authswitch::io
