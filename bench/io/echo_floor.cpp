// echo_floor: the loopback floor of SPEC 14. An open-loop client sends
// 0100-sized len2 frames at --rate for --seconds over --connections to a
// plain io_uring TCP echo, and reports latency from each request's due time.
//
//   echo_floor --rate 50000 --seconds 10 [--connections 4] [--payload 180]
//              [--target HOST:PORT] [--report FILE] [--pin 0|1]
//
// Without --target the echo runs in this process on its own thread, pinned
// to the first CPU this process may use, the client to the second
// (--pin 0: neither is pinned, and the scheduler may move them).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>

#include "bench/io/pinning.h"
#include "io/latency_histogram.h"
#include "io/open_loop_client.h"
#include "io/uring_echo_server.h"

namespace {

using namespace authswitch;

constexpr const char* usage =
    "usage: echo_floor [--rate N] [--seconds S] [--connections C] [--payload BYTES]\n"
    "                  [--target HOST:PORT] [--report FILE] [--pin 0|1]\n"
    "\n"
    "Open-loop len2 client against a plain io_uring TCP echo: the loopback floor\n"
    "(SPEC 14). Latency counts from each request's due time. Prints p50/p99/p99.9/max\n"
    "and a JSON summary line; --report writes the HdrHistogram percentile distribution.\n";

struct Args {
  io::OpenLoopOptions client;
  std::size_t payload = 180;
  std::string target;
  std::string report;
  bool pin = true;
};

bool parse_args(int argc, char** argv, Args& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(usage, stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) return false;
    const char* value = argv[++i];
    if (flag == "--rate") {
      args.client.rate_per_s = static_cast<std::uint32_t>(std::strtoul(value, nullptr, 10));
    } else if (flag == "--seconds") {
      args.client.seconds = std::strtod(value, nullptr);
    } else if (flag == "--connections") {
      args.client.connections = static_cast<std::uint32_t>(std::strtoul(value, nullptr, 10));
    } else if (flag == "--payload") {
      args.payload = std::strtoul(value, nullptr, 10);
    } else if (flag == "--target") {
      args.target = value;
    } else if (flag == "--pin") {
      args.pin = std::string_view(value) != "0";
    } else if (flag == "--report") {
      args.report = value;
    } else {
      return false;
    }
  }
  return args.client.rate_per_s > 0 && args.client.seconds > 0 && args.client.connections > 0 &&
         args.client.connections <= 64 && args.payload >= 24 && args.payload <= 4096;
}

void print_progress(void*, std::uint64_t sent, std::uint64_t answered) {
  std::fprintf(stderr, "echo_floor: sent %llu answered %llu\n", static_cast<unsigned long long>(sent),
               static_cast<unsigned long long>(answered));
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse_args(argc, argv, args)) {
    std::fputs(usage, stderr);
    return 2;
  }
  io::UringEchoServer server(io::EchoServerOptions{"127.0.0.1", 0, 64, 4096});
  std::thread server_thread;
  std::string server_error;
  if (args.target.empty()) {
    if (std::string error = server.open(); !error.empty()) {
      std::fprintf(stderr, "echo_floor: echo server: %s\n", error.c_str());
      return 1;
    }
    args.client.port = server.port();
    server_thread = std::thread([&] {
      if (args.pin) bench::pin_bench_thread(0, "echo");
      server_error = server.run();
    });
  } else {
    const std::size_t colon = args.target.rfind(':');
    if (colon == std::string::npos) {
      std::fputs(usage, stderr);
      return 2;
    }
    args.client.host = args.target.substr(0, colon);
    args.client.port = static_cast<std::uint16_t>(std::strtoul(args.target.c_str() + colon + 1, nullptr, 10));
  }
  if (args.pin) bench::pin_bench_thread(1, "client");
  args.client.progress = print_progress;

  std::fprintf(stderr, "echo_floor: %u/s for %.1f s over %u connections, %zu-byte payloads, %s\n",
               args.client.rate_per_s, args.client.seconds, args.client.connections, args.payload,
               args.target.empty() ? "in-process io_uring echo" : args.target.c_str());
  io::EchoRequestSource source(args.payload);
  io::LatencyRecorder recorder;
  const io::OpenLoopResult result = io::run_open_loop(args.client, source, recorder);
  if (server_thread.joinable()) {
    server.stop();
    server_thread.join();
  }
  if (!result.ok()) {
    std::fprintf(stderr, "echo_floor: %s\n", result.error.c_str());
    return 1;
  }
  if (!server_error.empty()) {
    std::fprintf(stderr, "echo_floor: echo server: %s\n", server_error.c_str());
    return 1;
  }
  io::LatencyHistogram latency;
  latency.add(recorder);
  std::printf("p50 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us  (%llu answered, %llu timeouts)\n",
              static_cast<double>(latency.value_at_percentile(50)) / 1e3,
              static_cast<double>(latency.value_at_percentile(99)) / 1e3,
              static_cast<double>(latency.value_at_percentile(99.9)) / 1e3, static_cast<double>(latency.max_ns()) / 1e3,
              static_cast<unsigned long long>(result.answered), static_cast<unsigned long long>(result.timeouts));
  if (!args.report.empty()) {
    std::string text;
    latency.append_percentile_distribution(text, 1000.0);
    std::ofstream(args.report) << text;
  }
  std::printf("%s\n", io::summary_json(result, latency).c_str());
  return result.timeouts == 0 ? 0 : 1;
}
