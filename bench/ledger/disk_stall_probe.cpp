// disk_stall_probe: does this machine stall a lone fdatasync loop when a CPU
// is kept busy? The switch's sync p99 sits on ~12 ms fdatasyncs (p99.9) that
// stayed with the checkpointer off and the log writer at SCHED_FIFO
// (bench/RESULTS.md, seventh round), so this measures the disk with nothing
// of the switch: a 4 KiB pwrite + fdatasync loop into a file whose blocks are
// already written (a recycled segment: no extent to convert), first alone,
// then beside neighbour threads that only burn CPU.
//
//   disk_stall_probe [--seconds S] [--dir D] [--slow-ms M]
//
// Each scenario prints the syncs' p50/p99/p99.9/max, the syncs slower than
// M ms, the share of the run spent inside them, and their median spacing.
// Run by hand; the file goes in D (default $AUTHSWITCH_BENCH_DIR, else /tmp),
// which must be on the disk being measured.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "io/latency_histogram.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t file_bytes = 64u << 20;
constexpr std::size_t block_bytes = 4096;

struct Options {
  double seconds = 8;
  std::string dir;
  double slow_ms = 5;
};

// A neighbour burns CPU for `busy_us` then sleeps for `idle_us`, until told
// to stop; idle_us 0 never sleeps (a thread spinning on its ring).
struct Neighbour {
  int busy_us = 0;
  int idle_us = 0;
};

struct Scenario {
  const char* name;
  std::vector<Neighbour> neighbours;
};

void burn(const Neighbour n, const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_relaxed)) {
    const auto until = Clock::now() + std::chrono::microseconds(n.busy_us);
    while (Clock::now() < until) {
    }
    if (n.idle_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(n.idle_us));
  }
}

int open_written_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  std::vector<char> chunk(1u << 20, 'x');
  for (std::size_t offset = 0; offset < file_bytes; offset += chunk.size()) {
    if (::pwrite(fd, chunk.data(), chunk.size(), static_cast<off_t>(offset)) != static_cast<ssize_t>(chunk.size())) {
      ::close(fd);
      return -1;
    }
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool run(const Scenario& scenario, int fd, const Options& options) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (const Neighbour& n : scenario.neighbours) threads.emplace_back(burn, n, std::cref(stop));

  authswitch::io::LatencyHistogram histogram;
  std::vector<double> slow_at_s;
  double slow_total_ns = 0;
  const std::vector<char> block(block_bytes, 'y');
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(options.seconds);
  std::size_t offset = 0;
  bool ok = true;
  while (Clock::now() < end) {
    if (::pwrite(fd, block.data(), block.size(), static_cast<off_t>(offset)) != static_cast<ssize_t>(block.size())) {
      ok = false;
      break;
    }
    offset = (offset + block_bytes) % file_bytes;
    const auto before = Clock::now();
    if (::fdatasync(fd) != 0) {
      ok = false;
      break;
    }
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - before).count();
    histogram.record(static_cast<std::uint64_t>(ns));
    if (static_cast<double>(ns) > options.slow_ms * 1e6) {
      slow_total_ns += static_cast<double>(ns);
      slow_at_s.push_back(std::chrono::duration<double>(before - start).count());
    }
  }
  const double ran_s = std::chrono::duration<double>(Clock::now() - start).count();
  stop.store(true);
  for (std::thread& t : threads) t.join();
  if (!ok) {
    std::fprintf(stderr, "disk_stall_probe: write or fdatasync failed: %s\n", std::strerror(errno));
    return false;
  }

  std::vector<double> gaps_ms;
  for (std::size_t i = 1; i < slow_at_s.size(); ++i) gaps_ms.push_back((slow_at_s[i] - slow_at_s[i - 1]) * 1e3);
  std::sort(gaps_ms.begin(), gaps_ms.end());
  const auto us = [&](double p) { return static_cast<double>(histogram.value_at_percentile(p)) / 1e3; };
  std::printf("%-34s %7llu syncs  p50 %6.0f  p99 %7.0f  p99.9 %7.0f  max %7.0f us | %4zu over %.0f ms, %4.1f%% of the run",
              scenario.name, static_cast<unsigned long long>(histogram.total_count()), us(50), us(99), us(99.9), us(100),
              slow_at_s.size(), options.slow_ms, 100.0 * slow_total_ns / 1e9 / ran_s);
  if (!gaps_ms.empty()) std::printf(", median spacing %.0f ms", gaps_ms[gaps_ms.size() / 2]);
  std::printf("\n");
  return true;
}

[[noreturn]] void usage(int status) {
  std::fprintf(status == 0 ? stdout : stderr,
               "usage: disk_stall_probe [--seconds S] [--dir D] [--slow-ms M]\n"
               "  Times a 4 KiB pwrite + fdatasync loop into a written 64 MiB file in D, alone and\n"
               "  beside threads that only burn CPU, and reports the slow syncs (> M ms, default 5).\n"
               "  D defaults to $AUTHSWITCH_BENCH_DIR, else /tmp; S to 8 s per scenario.\n");
  std::exit(status);
}

Options parse(int argc, char** argv) {
  Options options;
  if (const char* env = std::getenv("AUTHSWITCH_BENCH_DIR")) options.dir = env;
  if (options.dir.empty()) options.dir = "/tmp";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") usage(0);
    if (i + 1 >= argc) usage(2);
    const char* value = argv[++i];
    char* rest = nullptr;
    if (arg == "--seconds") {
      options.seconds = std::strtod(value, &rest);
    } else if (arg == "--slow-ms") {
      options.slow_ms = std::strtod(value, &rest);
    } else if (arg == "--dir") {
      options.dir = value;
      continue;
    } else {
      usage(2);
    }
    if (rest == value || *rest != '\0' || !(std::strtod(value, nullptr) > 0)) usage(2);
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  const std::string path = options.dir + "/disk_stall_probe.bin";
  const int fd = open_written_file(path);
  if (fd < 0) {
    std::fprintf(stderr, "disk_stall_probe: cannot prepare %s: %s\n", path.c_str(), std::strerror(errno));
    return 1;
  }
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  std::printf("disk_stall_probe: %s, %.0f s a scenario, %u CPUs\n", path.c_str(), options.seconds, cpus);
  const Scenario scenarios[] = {
      {"alone", {}},
      {"beside 1 thread spinning", {{1000, 0}}},
      {"beside 1 thread busy 80% of 1 ms", {{800, 200}}},
      {"beside 2 threads busy 80% of 1 ms", {{800, 200}, {800, 200}}},
      {"beside 2 threads spinning", {{1000, 0}, {1000, 0}}},
  };
  bool ok = true;
  for (const Scenario& s : scenarios) ok = ok && run(s, fd, options);
  ::close(fd);
  ::unlink(path.c_str());
  return ok ? 0 : 1;
}
