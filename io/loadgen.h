// `authswitch loadgen`, the card network simulator (SPEC 11), as a library
// call so that `authswitch demo` and the tests run the same code.
//
// run_loadgen() loads the cards, opens the links (connects to a switch's
// listen link, or accepts its connect link), drives run_open_loop() with a
// LoadgenSource, and folds the client's and the source's counts into one
// result. It blocks for --seconds plus the last answers' timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "io/latency_histogram.h"
#include "io/loadgen_mix.h"
#include "io/loadgen_source.h"

namespace authswitch::io {

// Bounds of the command line. 500,000/s keeps field 11's million values
// from repeating within one field-7 second (the duplicate key is 32, 11, 7);
// an hour bounds a run; 64 connections are more than a network allows.
inline constexpr std::uint32_t loadgen_rate_max = 500'000;
inline constexpr double loadgen_seconds_max = 3600.0;
inline constexpr std::uint32_t loadgen_connections_max = 64;
inline constexpr std::uint32_t loadgen_timeout_ms_max = 60'000;
// serve's embedded default data set (SPEC 10).
inline constexpr std::size_t loadgen_demo_cards_default = 100'000;

struct LoadgenOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8583;
  bool listen = false;  // accept the switch's connect link(s) instead of connecting
  std::uint32_t rate_per_s = 1000;
  double seconds = 10.0;
  std::uint32_t connections = 1;
  std::string cards_file;  // empty: the demo data set
  std::size_t demo_cards = loadgen_demo_cards_default;
  Mix mix;
  std::chrono::milliseconds timeout{2000};
  std::string report_dir;  // empty: no report files
  std::uint64_t seed = 1;
  // A progress line a second goes here (null: none).
  std::FILE* progress = nullptr;
  // --listen: how long to wait for the switch to connect.
  std::chrono::milliseconds accept_timeout{30'000};
};

struct LoadgenResult {
  std::string error;  // set when the run could not happen or broke off
  bool bad_cards = false;  // the error is the cards file's (a configuration error: exit 2)
  std::uint64_t sent = 0;
  std::uint64_t answered = 0;  // within the timeout
  std::uint64_t timeouts = 0;  // never answered, or answered after the timeout
  std::uint64_t unsent = 0;    // due, never sent (the switch stopped reading; OpenLoopResult::unsent)
  std::uint64_t unmatched = 0;
  std::uint64_t switch_echoes = 0;  // the switch's own 0800s, answered 0810 (not requests of ours)
  double per_s = 0.0;  // answers a second, over the run
  LoadgenCounts counts;
  LatencyHistogram latency;  // ns from each request's due time, late answers included
  std::string report_svg;    // the plot's path, when written

  // Exit status 0 of SPEC 10: everything answered in time, nothing wrong.
  [[nodiscard]] bool clean() const noexcept {
    return error.empty() && timeouts == 0 && unsent == 0 && counts.mismatches == 0 && unmatched == 0 &&
           answered == sent;
  }
};

[[nodiscard]] LoadgenResult run_loadgen(const LoadgenOptions& options);

}  // namespace authswitch::io
