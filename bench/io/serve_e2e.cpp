// serve_e2e: SPEC 14's end to end over loopback. In one process and one run,
// the same open-loop client (io/open_loop_client.h) at the same rate first
// against the plain io_uring echo (the loopback floor), then against the
// switch (SwitchRuntime: io loop on CPU 0, authorization thread on CPU 1,
// 100,000 demo cards, a real write-ahead log in a temporary folder).
//
//   serve_e2e --rate 50000 --seconds 10 --durability async|sync
//             [--connections 1] [--cards 100000] [--wal DIR] [--pin 0|1]
//             [--floor 0|1] [--switch 0|1] [--client-nice N]
//             [--checkpoint 0|1] [--snapshot-every N] [--flush-interval-ms N]
//             [--recycled N] [--short-slices 0|1] [--idle-checkpointer 0|1]
//             [--sync-floor 0|1]
//
// --sync-floor 1 (the default in async) runs the floor a second time beside
// a thread that appends to a file in the log folder and fdatasyncs it every
// --flush-interval-ms, as the async log does (bench/io/periodic_syncer.h),
// and reports it as `syncfl`: the floor a switch that honours
// flush_interval_ms can reach on this machine, where one process's
// fdatasync delays the others' wake-ups (bench/RESULTS.md, tenth round).
// The plain floor, SPEC 14's reference, is still measured and printed first.
//
// --recycled N lays N written segment-sized files in the log folder as the
// checkpointer's pruning leaves them (ledger/wal_writer.h), before the
// switch starts: the state of a switch that has run for a while, whose
// segments are all recycled. 0 (the default) is a fresh log folder, whose
// segments are all preallocated (unwritten extents).
//
// --checkpoint 1 (the default) runs the checkpointer as `authswitch serve`
// does: a shadow core that replays the log and writes a snapshot every
// --snapshot-every records (wal.snapshot_every, default 1,000,000). On 2 CPUs
// it competes with the switch's own threads, so a figure without it flatters
// the switch. The client starts once the shadow is built (its build is a
// start-up cost, reported apart).
//
// --floor 0 / --switch 0 leave one half out, so that a whole-process counter
// (perf stat -e raw_syscalls:sys_enter,context-switches) can be split
// between the two: the switch's share is a full run's less a floor-only one.
//
// --short-slices 0 / --idle-checkpointer 0 leave the switch's threads as
// created instead of asking for short slices on the answer's path and
// SCHED_IDLE for the checkpointer (core/thread_class.h): the A/B of that
// choice.
//
// --client-nice N runs the client's thread at niceness N (both runs alike):
// on 2 CPUs the client, which on a real deployment is another machine,
// otherwise competes as an equal with the threads being measured, and its
// wake-ups preempt them. The client's own delays still count: latency runs
// from each request's due time.
//
// Requests are 0100s of 1 minor unit on cards spread over the data set (no
// limit is reached), each with a unique key; the answer is matched by field
// 37, which carries the request's sequence number.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "codec/codec.h"
#include "core/accounts_loader.h"
#include "core/demo_data.h"
#include "io/latency_histogram.h"
#include "io/open_loop_client.h"
#include "io/switch_runtime.h"
#include "io/uring_echo_server.h"
#include "bench/io/periodic_syncer.h"
#include "ledger/log_files.h"

namespace {

using namespace authswitch;

constexpr const char* usage =
    "usage: serve_e2e [--rate N] [--seconds S] [--durability async|sync] [--connections C]\n"
    "                 [--cards N] [--wal DIR] [--pin 0|1] [--floor 0|1] [--switch 0|1] [--client-nice N]\n"
    "                 [--checkpoint 0|1] [--snapshot-every N] [--flush-interval-ms N] [--recycled N]\n"
    "                 [--short-slices 0|1] [--idle-checkpointer 0|1] [--sync-floor 0|1]\n";

class IsoRequestSource final : public io::RequestSource {
 public:
  explicit IsoRequestSource(std::size_t cards) {
    pans_.reserve(cards);
    for (std::size_t i = 0; i < cards; ++i) pans_.push_back(core::demo_pan(i));
  }
  std::size_t build_frame(std::uint64_t sequence, std::span<std::byte> out) override {
    // Card: a stride through the set so consecutive requests hit different users.
    const std::string& pan = pans_[(sequence * 7919) % pans_.size()];
    std::snprintf(stan_, sizeof(stan_), "%06llu", static_cast<unsigned long long>(sequence % 1'000'000));
    std::snprintf(f7_, sizeof(f7_), "11231400%02llu", static_cast<unsigned long long>(sequence / 1'000'000 % 60));
    std::snprintf(rrn_, sizeof(rrn_), "%012llu", static_cast<unsigned long long>(sequence));
    codec::FieldValues v;
    v.clear_all();
    v.set_mti("0100");
    v.set(2, pan);
    v.set(3, "000000");
    v.set(4, "000000000001");
    v.set(7, {f7_, 10});
    v.set(11, {stan_, 6});
    v.set(32, "123456");
    v.set(37, {rrn_, 12});
    v.set(41, "TERM0001");
    v.set(42, "MERCHANT0000001");
    v.set(49, "392");
    const codec::PackResult r = codec::pack(codec::Dialect::iso87_ascii(), v, out,
                                            codec::PackOptions{.framing = codec::Framing::len2, .secondary_bitmap = {}});
    return r.error.ok() ? r.size : 0;
  }
  std::optional<std::uint64_t> match_answer(std::span<const std::byte> payload) override {
    codec::MessageView view;
    if (!codec::unpack(codec::Dialect::iso87_ascii(), payload, view).ok() || !view.has(37)) return std::nullopt;
    const std::string_view rc = view.wire(39);
    if (rc.size() == 2 && rc[0] >= '0' && rc[0] <= '9' && rc[1] >= '0' && rc[1] <= '9') {
      ++by_rc_[static_cast<std::size_t>((rc[0] - '0') * 10 + (rc[1] - '0'))];
    }
    std::uint64_t seq = 0;
    for (const char c : view.wire(37)) seq = seq * 10 + static_cast<std::uint64_t>(c - '0');
    return seq;
  }
  // "00=123 91=4 ..." for every response code seen.
  std::string by_rc() const {
    std::string out;
    for (std::size_t i = 0; i < by_rc_.size(); ++i) {
      if (by_rc_[i] != 0) out += (out.empty() ? "" : " ") + std::to_string(i / 10) + std::to_string(i % 10) + "=" + std::to_string(by_rc_[i]);
    }
    return out;
  }

 private:
  std::vector<std::string> pans_;
  char stan_[8]{};
  char f7_[16]{};
  char rrn_[16]{};
  std::array<std::uint64_t, 100> by_rc_{};
};

// The lines of a Prometheus text whose names start with `prefix`, joined.
std::string metric_lines(const std::string& text, std::string_view prefix) {
  std::string out;
  const std::string needle = "\n" + std::string(prefix);
  std::size_t at = 0;
  while ((at = text.find(needle, at)) != std::string::npos) {
    const std::size_t end = text.find('\n', at + 1);
    out += " " + text.substr(at + 1, end - at - 1);
    at = end;
  }
  return out;
}

// In `sync`, a request that arrives while the log is inside an fdatasync of
// D ns waits at least the rest of it: its record was written after the sync
// began. At a fixed rate, arrivals are uniform in time, so the share of
// requests waiting more than x is at least sum(max(0, D - x)) / run time over
// the syncs. Returns the x at which that share is `fraction`: a floor under
// the requests' percentile (1 - fraction) that the disk alone sets, whatever
// the switch does. The syncs of the start and the close count as if inside
// the run (a few; they raise the figure a little).
double sync_stall_floor_us(const io::LatencyHistogram& syncs, double run_seconds, double fraction) {
  const double budget_ns = fraction * run_seconds * 1e9;
  const auto waited_beyond = [&](double x) {
    double total = 0;
    for (std::size_t i = 0; i < io::hdr::counts_len; ++i) {
      const std::uint64_t n = syncs.count_at_index(i);
      if (n == 0) continue;
      const double d = static_cast<double>(io::hdr::median_equivalent(io::hdr::value_from_index(i)));
      if (d > x) total += static_cast<double>(n) * (d - x);
    }
    return total;
  };
  double lo = 0;
  double hi = static_cast<double>(syncs.max_ns()) + 1;
  if (waited_beyond(lo) <= budget_ns) return 0;
  for (int i = 0; i < 60; ++i) {
    const double mid = (lo + hi) / 2;
    (waited_beyond(mid) > budget_ns ? lo : hi) = mid;
  }
  return hi / 1e3;
}

void report(const char* name, const io::OpenLoopResult& result, io::LatencyRecorder& recorder) {
  io::LatencyHistogram h;
  h.add(recorder);
  std::printf("%-6s %s\n", name, io::summary_json(result, h).c_str());
}

}  // namespace

namespace {

// --recycled: written (not preallocated) files of the default segment size,
// synced, under the names pruning gives them. Their bytes are not records;
// the writer's end marker hides them as it hides an earlier use's.
bool lay_recycled_segments(const std::string& dir, std::size_t count) {
  if (ledger::Status s = ledger::ensure_directory(dir); !s) {
    std::fprintf(stderr, "serve_e2e: %s\n", s.to_string().c_str());
    return false;
  }
  const std::vector<std::byte> chunk(1u << 20, std::byte{0xA5});
  for (std::size_t i = 0; i < count; ++i) {
    const std::string path = ledger::join_path(dir, ledger::recycled_file_name(i + 1));
    ledger::FileDescriptor fd(::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600));
    ledger::Status s = fd.valid() ? ledger::Status{} : ledger::Status::from_errno(errno, path, -1, "create");
    for (std::size_t at = 0; s && at < constants::wal_segment_bytes_default; at += chunk.size()) {
      s = ledger::pwrite_all(fd.get(), chunk.data(), chunk.size(), static_cast<std::int64_t>(at), path);
    }
    if (s && ::fdatasync(fd.get()) != 0) s = ledger::Status::from_errno(errno, path, -1, "fdatasync");
    if (!s) {
      std::fprintf(stderr, "serve_e2e: %s\n", s.to_string().c_str());
      return false;
    }
  }
  return static_cast<bool>(ledger::sync_directory(dir));
}

}  // namespace

int main(int argc, char** argv) {
  io::OpenLoopOptions client;
  client.connections = 1;
  client.seconds = 10;
  std::size_t cards = 100'000;
  io::Durability durability = io::Durability::async;
  std::string wal_dir;
  std::size_t recycled = 0;
  bool pin = true;
  bool run_floor = true;
  bool run_switch = true;
  int client_nice = 0;
  bool checkpoint = true;
  bool short_slices = true;
  bool idle_checkpointer = true;
  int sync_floor = -1;  // -1: on in async, off in sync
  std::uint64_t snapshot_every = io::WalConfig{}.snapshot_every;
  std::uint32_t flush_interval_ms = io::WalConfig{}.flush_interval_ms;  // async: the log's fdatasync period
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(usage, stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      std::fputs(usage, stderr);
      return 2;
    }
    const char* value = argv[++i];
    if (flag == "--rate") client.rate_per_s = static_cast<std::uint32_t>(std::strtoul(value, nullptr, 10));
    else if (flag == "--seconds") client.seconds = std::strtod(value, nullptr);
    else if (flag == "--connections") client.connections = static_cast<std::uint32_t>(std::strtoul(value, nullptr, 10));
    else if (flag == "--cards") cards = std::strtoul(value, nullptr, 10);
    else if (flag == "--wal") wal_dir = value;
    else if (flag == "--pin") pin = std::string_view(value) != "0";
    else if (flag == "--floor") run_floor = std::string_view(value) != "0";
    else if (flag == "--switch") run_switch = std::string_view(value) != "0";
    else if (flag == "--client-nice") client_nice = static_cast<int>(std::strtol(value, nullptr, 10));
    else if (flag == "--checkpoint") checkpoint = std::string_view(value) != "0";
    else if (flag == "--snapshot-every") snapshot_every = std::strtoull(value, nullptr, 10);
    else if (flag == "--flush-interval-ms") flush_interval_ms = static_cast<std::uint32_t>(std::strtoul(value, nullptr, 10));
    else if (flag == "--recycled") recycled = std::strtoul(value, nullptr, 10);
    else if (flag == "--short-slices") short_slices = std::string_view(value) != "0";
    else if (flag == "--idle-checkpointer") idle_checkpointer = std::string_view(value) != "0";
    else if (flag == "--sync-floor") sync_floor = std::string_view(value) != "0" ? 1 : 0;
    else if (flag == "--durability") durability = std::string_view(value) == "sync" ? io::Durability::sync : io::Durability::async;
    else {
      std::fputs(usage, stderr);
      return 2;
    }
  }
  if (snapshot_every == 0 || flush_interval_ms == 0) {
    std::fputs("serve_e2e: --snapshot-every and --flush-interval-ms must be at least 1 (as in the config)\n", stderr);
    return 2;
  }
  std::printf("serve_e2e: %u/s for %.1f s over %u connection(s), durability %s, client nice %d, checkpointer %s, "
              "short slices %s, idle checkpointer %s\n",
              client.rate_per_s, client.seconds, client.connections, std::string(io::to_string(durability)).c_str(),
              client_nice, checkpoint ? ("on, snapshot every " + std::to_string(snapshot_every) + " records").c_str() : "off",
              short_slices ? "on" : "off", idle_checkpointer ? "on" : "off");
  // Only while the client runs: a thread inherits its creator's niceness,
  // and the servers' threads are created from this one.
  const auto run_client = [client_nice](const io::OpenLoopOptions& o, io::RequestSource& source,
                                        io::LatencyRecorder& recorder) {
    if (client_nice != 0 && ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), client_nice) != 0) {
      std::perror("serve_e2e: --client-nice");
    }
    io::OpenLoopResult r = io::run_open_loop(o, source, recorder);
    if (client_nice != 0 && ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 0) != 0) {
      std::perror("serve_e2e: --client-nice back to 0");
    }
    return r;
  };

  if (sync_floor < 0) sync_floor = durability == io::Durability::async ? 1 : 0;
  const bool temp = wal_dir.empty();
  if (temp) wal_dir = (std::filesystem::temp_directory_path() / ("serve_e2e-" + std::to_string(getpid()))).string();
  std::filesystem::remove_all(wal_dir);

  // 1. The loopback floor: same client, same rate, a plain echo.
  const auto measure_floor = [&](const char* name) {
    io::UringEchoServer echo(io::EchoServerOptions{"127.0.0.1", 0, 64, 4096});
    if (const std::string e = echo.open(); !e.empty()) {
      std::fprintf(stderr, "serve_e2e: echo: %s\n", e.c_str());
      return false;
    }
    std::thread t([&] { (void)echo.run(); });
    io::OpenLoopOptions o = client;
    o.port = echo.port();
    io::EchoRequestSource source(180);
    io::LatencyRecorder recorder;
    const io::OpenLoopResult r = run_client(o, source, recorder);
    echo.stop();
    t.join();
    report(name, r, recorder);
    return true;
  };
  if (run_floor && !measure_floor("floor")) return 1;
  // 1b. The same beside the async log's disk cadence alone.
  if (run_floor && sync_floor == 1) {
    if (ledger::Status s = ledger::ensure_directory(wal_dir); !s) {
      std::fprintf(stderr, "serve_e2e: %s\n", s.to_string().c_str());
      return 1;
    }
    bench::PeriodicSyncer syncer;
    // About what the log writes per interval: ~512 bytes of records a request.
    const std::size_t bytes = static_cast<std::size_t>(client.rate_per_s) * flush_interval_ms / 1000 * 512;
    if (const std::string e = syncer.start(ledger::join_path(wal_dir, "floor-sync.tmp"), flush_interval_ms, bytes);
        !e.empty()) {
      std::fprintf(stderr, "serve_e2e: %s\n", e.c_str());
      return 1;
    }
    const bool ok = measure_floor("syncfl");
    const std::uint64_t syncs = syncer.stop();
    if (!syncer.failure().empty()) std::fprintf(stderr, "serve_e2e: sync floor: %s\n", syncer.failure().c_str());
    if (!ok) return 1;
    std::printf("syncfl: the floor beside %llu fdatasyncs of %zu bytes, one every %u ms\n",
                static_cast<unsigned long long>(syncs), bytes, flush_interval_ms);
  }

  if (!run_switch) {
    if (temp) std::filesystem::remove_all(wal_dir);
    return 0;
  }

  // 2. The switch.
  std::filesystem::remove_all(wal_dir);
  if (recycled > 0) {
    const auto began = std::chrono::steady_clock::now();
    if (!lay_recycled_segments(wal_dir, recycled)) return 1;
    std::printf("laid %zu recycled segments of %zu MiB in %.1f s\n", recycled,
                authswitch::constants::wal_segment_bytes_default >> 20,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
  }
  io::SwitchOptions options;
  options.config.links[0].port = 0;
  options.config.links[0].echo_interval_s = 0;
  // --pin 0: both threads unpinned (the scheduler places them).
  options.config.cores.io = pin ? std::vector<int>{0} : std::vector<int>{};
  options.config.cores.auth = pin ? std::vector<int>{1} : std::vector<int>{};
  options.config.wal.dir = wal_dir;
  options.config.wal.durability = durability;
  options.config.wal.snapshot_every = snapshot_every;
  options.config.wal.flush_interval_ms = flush_interval_ms;
  options.log = [](const std::string&) {};
  options.answer_path_slices = short_slices;
  options.background_idle = idle_checkpointer;
  if (checkpoint) {
    options.reload_accounts = [cards]() -> std::unique_ptr<core::Accounts> {
      return std::move(core::load_accounts_text(core::generate_demo_accounts(cards), "demo").accounts);
    };
  }
  io::SwitchRuntime sw(std::move(options));
  core::LoadResult loaded = core::load_accounts_text(core::generate_demo_accounts(cards), "demo");
  if (const std::string e = sw.start(std::move(loaded.accounts)); !e.empty()) {
    std::fprintf(stderr, "serve_e2e: %s\n", e.c_str());
    return 1;
  }
  if (checkpoint) {
    const auto began = std::chrono::steady_clock::now();
    const auto deadline = began + std::chrono::minutes(5);
    while (sw.render_metrics().find("\nauthswitch_checkpointer_up 1") == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "serve_e2e: the checkpointer's shadow was not built within 5 minutes\n");
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::printf("checkpointer shadow built in %.1f s (before the client started)\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
  }
  io::OpenLoopOptions o = client;
  o.port = sw.port(0);
  IsoRequestSource source(cards);
  io::LatencyRecorder recorder;
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  const io::OpenLoopResult r = run_client(o, source, recorder);
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  const auto cpu_s = [](const rusage& u) {
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  const auto sys_s = [](const rusage& u) {
    return static_cast<double>(u.ru_stime.tv_sec) + static_cast<double>(u.ru_stime.tv_usec) / 1e6;
  };
  // Why 91s were answered: the bound each one hit (io/switch_metrics.h);
  // how far the checkpointer was behind when the client stopped.
  const std::string text = sw.render_metrics();
  const std::string shed = metric_lines(text, "authswitch_shed_");
  const std::string snapshots = metric_lines(text, "authswitch_snapshot");
  // The disk's own tail in this run: the log's fdatasyncs (in sync, each
  // batch's write + fdatasync), the floor of the sync target (SPEC 14).
  const io::LatencyHistogram fsync = sw.wal_fsync_histogram();
  (void)sw.stop();
  const ledger::WalStats wal_stats = sw.wal().stats();  // readable once the log is closed
  std::printf("switch log fdatasync during the run: %llu syncs, p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us\n",
              static_cast<unsigned long long>(fsync.total_count()), fsync.value_at_percentile(50) / 1e3,
              fsync.value_at_percentile(99) / 1e3, fsync.value_at_percentile(99.9) / 1e3, fsync.max_ns() / 1e3);
  if (durability == io::Durability::sync) {
    std::printf("requests arriving during a sync wait for its end: that alone puts the requests' p99 at >= %.1f us "
                "and p99.9 at >= %.1f us in this run\n",
                sync_stall_floor_us(fsync, client.seconds, 0.01), sync_stall_floor_us(fsync, client.seconds, 0.001));
  }
  std::printf("switch process CPU during the run: %.2f s (%.2f s system), %llu voluntary / %llu involuntary "
              "context switches;%s\n",
              cpu_s(after) - cpu_s(before), sys_s(after) - sys_s(before),
              static_cast<unsigned long long>(after.ru_nvcsw - before.ru_nvcsw),
              static_cast<unsigned long long>(after.ru_nivcsw - before.ru_nivcsw), shed.c_str());
  std::printf("switch log: %llu segments opened (the run, the catch-up and the close), %llu of them recycled; at "
              "the client's end:%s\n",
              static_cast<unsigned long long>(wal_stats.rotations), static_cast<unsigned long long>(wal_stats.recycled),
              snapshots.empty() ? " no checkpointer" : snapshots.c_str());
  if (temp) std::filesystem::remove_all(wal_dir);
  report("switch", r, recorder);
  std::printf("switch by rc: %s\n", source.by_rc().c_str());
  return r.ok() ? 0 : 1;
}
