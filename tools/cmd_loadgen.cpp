// authswitch loadgen: plays the card network against a running switch (SPEC 11).
//
// stdout carries exactly one line, the JSON summary, so scripts can take it
// with `tail -n 1` or a pipe; progress, mismatch details and errors go to
// stderr.
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "io/loadgen.h"
#include "io/loadgen_report.h"
#include "tools/command.h"

namespace authswitch::tools {
namespace {

constexpr const char* usage =
    "usage: authswitch loadgen (--target HOST:PORT | --listen HOST:PORT) [--rate R] [--seconds S]\n"
    "                          [--connections N] [--cards FILE | --demo-cards N] [--mix MIX]\n"
    "                          [--timeout-ms MS] [--report DIR] [--seed N]\n"
    "\n"
    "Plays the card network: sends ISO 8583 (len2, iso87-ascii) at R requests a second for S\n"
    "seconds, open loop (requests are due on a fixed schedule and latency counts from the due\n"
    "time, so a stalled switch cannot hide its stall), and checks every answer against its\n"
    "request: response MTI, 11, 7, 32 and the echoed fields, and field 39 where it is predictable.\n"
    "\n"
    "  --target HOST:PORT   connect to the switch's listen link (default 127.0.0.1:8583)\n"
    "  --listen HOST:PORT   accept the switch's connect link(s) instead (through a loopback relay)\n"
    "  --rate R             requests a second (default 1000, at most 500000)\n"
    "  --seconds S          how long to send (default 10)\n"
    "  --connections N      connections, requests round robin over them (default 1, at most 64)\n"
    "  --cards FILE         the accounts NDJSON (SPEC 5): its cards and their users' limits\n"
    "  --demo-cards N       without --cards: the demo data set of N cards (default 100000, as serve)\n"
    "  --mix MIX            KIND=WEIGHT,... over approve, limit, unknown, blocked, duplicate, conflict,\n"
    "                       reversal, advice, balance, echo (default\n"
    "                       approve=70,limit=4,unknown=3,blocked=2,duplicate=5,conflict=2,reversal=5,\n"
    "                       advice=3,balance=3,echo=3). Expected answers: limit 61 USER:TRANSACTION,\n"
    "                       unknown 14, blocked 62/41/43, duplicate the first answer's 39 and 38,\n"
    "                       conflict 94, reversal, advice, balance, echo 00; any decision may be 91.\n"
    "  --timeout-ms MS      an answer later than this is a timeout (default 2000)\n"
    "  --report DIR         write DIR/latency.hgrm (HdrHistogram percentiles) and DIR/latency.svg\n"
    "  --seed N             random seed: cards, amounts, kinds (default 1)\n"
    "\n"
    "Progress each second on stderr; then one JSON line on stdout: sent, answered, timeouts,\n"
    "by_rc, p50_us, p99_us, p999_us, max_us, per_s, mismatches, unmatched, switch_echoes, unsent\n"
    "(due but never sent: the switch stopped reading; sent + unsent = rate x seconds).\n"
    "exit status: 0 every request sent and answered in time and every answer right, 1 otherwise,\n"
    "2 usage error or a bad cards file.\n";

template <class Number>
bool parse_number(std::string_view text, Number& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc{} && end == text.data() + text.size();
}

bool parse_endpoint(std::string_view text, io::LoadgenOptions& options) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  options.host = std::string(text.substr(0, colon));
  return parse_number(text.substr(colon + 1), options.port) && options.port != 0;
}

// "" when fine, else the message for stderr.
std::string parse_arguments(int argc, char** argv, io::LoadgenOptions& options) {
  bool target_given = false, listen_given = false, demo_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) return "missing value after " + std::string(flag);
    const std::string_view value = argv[++i];
    bool ok = true;
    if (flag == "--target") {
      ok = parse_endpoint(value, options);
      target_given = true;
    } else if (flag == "--listen") {
      ok = parse_endpoint(value, options);
      listen_given = options.listen = true;
    } else if (flag == "--rate") {
      ok = parse_number(value, options.rate_per_s) && options.rate_per_s > 0 &&
           options.rate_per_s <= io::loadgen_rate_max;
    } else if (flag == "--seconds") {
      ok = parse_number(value, options.seconds) && options.seconds > 0 && options.seconds <= io::loadgen_seconds_max;
    } else if (flag == "--connections") {
      ok = parse_number(value, options.connections) && options.connections > 0 &&
           options.connections <= io::loadgen_connections_max;
    } else if (flag == "--cards") {
      options.cards_file = std::string(value);
      ok = !value.empty();
    } else if (flag == "--demo-cards") {
      ok = parse_number(value, options.demo_cards) && options.demo_cards > 0 && options.demo_cards <= 50'000'000;
      demo_given = true;
    } else if (flag == "--mix") {
      if (std::string error = io::parse_mix(value, options.mix); !error.empty()) return error;
    } else if (flag == "--timeout-ms") {
      std::uint32_t ms = 0;
      ok = parse_number(value, ms) && ms > 0 && ms <= io::loadgen_timeout_ms_max;
      options.timeout = std::chrono::milliseconds(ms);
    } else if (flag == "--report") {
      options.report_dir = std::string(value);
      ok = !value.empty();
    } else if (flag == "--seed") {
      ok = parse_number(value, options.seed);
    } else {
      return "unknown option " + std::string(flag);
    }
    if (!ok) return "bad value '" + std::string(value) + "' for " + std::string(flag);
  }
  if (target_given && listen_given) return "--target and --listen exclude each other";
  if (demo_given && !options.cards_file.empty()) return "--cards and --demo-cards exclude each other";
  if (options.rate_per_s * options.seconds < 1) return "--rate x --seconds sends no request";
  return {};
}

int loadgen(int argc, char** argv) {
  if (wants_help(argc, argv)) {
    std::fputs(usage, stdout);
    return exit_ok;
  }
  io::LoadgenOptions options;
  if (const std::string error = parse_arguments(argc, argv, options); !error.empty()) {
    std::fprintf(stderr, "authswitch loadgen: %s\n\n%s", error.c_str(), usage);
    return exit_usage;
  }
  options.progress = stderr;
  const io::LoadgenResult result = io::run_loadgen(options);
  if (result.bad_cards) {
    std::fprintf(stderr, "authswitch loadgen: %s\n", result.error.c_str());
    return exit_usage;
  }
  for (const std::string& note : result.counts.mismatch_notes) {
    std::fprintf(stderr, "authswitch loadgen: mismatch: %s\n", note.c_str());
  }
  if (!result.error.empty()) std::fprintf(stderr, "authswitch loadgen: %s\n", result.error.c_str());
  if (!result.report_svg.empty()) {
    std::fprintf(stderr, "authswitch loadgen: latency report in %s/latency.hgrm and %s\n", options.report_dir.c_str(),
                 result.report_svg.c_str());
  }
  std::printf("%s\n", io::loadgen_summary_json(result).c_str());
  std::fflush(stdout);
  return result.clean() ? exit_ok : exit_failure;
}

}  // namespace
}  // namespace authswitch::tools

AUTHSWITCH_COMMAND(loadgen, "loadgen", "play the card network: open-loop ISO 8583 load, every answer checked",
                   ::authswitch::tools::loadgen)
