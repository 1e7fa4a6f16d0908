// Write-ahead log speed (SPEC 14): append throughput in `sync` and `async`
// durability with the average batch per fdatasync, append-to-durable latency
// beside the disk's own fdatasync latency (4 KiB write + fdatasync), and
// replay speed. Files go to $AUTHSWITCH_BENCH_DIR (default /tmp), which must
// be on the disk being measured (tmpfs would make fdatasync free).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "ledger/crc32c.h"
#include "ledger/log_reader.h"
#include "ledger/wal_writer.h"

namespace authswitch::ledger {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t record_payload_bytes = 100;  // SPEC 14: ~100-byte records

std::string bench_root() {
  const char* env = std::getenv("AUTHSWITCH_BENCH_DIR");
  return env != nullptr && *env != '\0' ? env : "/tmp";
}

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = bench_root() + "/bench-ledger-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

double percentile_us(std::vector<double>& ns, double p) {
  if (ns.empty()) return 0;
  const auto k = static_cast<std::size_t>(p * static_cast<double>(ns.size() - 1));
  std::nth_element(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(k), ns.end());
  return ns[k] / 1000.0;
}

constexpr off_t test_file_bytes = 64 << 20;

// A preallocated test file in `dir`, as a log segment is; -1 (and the
// benchmark skipped) when it cannot be made.
int open_preallocated(benchmark::State& state, const ScratchDir& dir, const char* name) {
  const std::string path = dir.path() + "/" + name;
  const int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0 && ::posix_fallocate(fd, 0, test_file_bytes) == 0) return fd;
  if (fd >= 0) ::close(fd);
  state.SkipWithError("cannot create the test file");
  return -1;
}

// The disk's floor: what one 4 KiB write + fdatasync costs here.
void BM_DiskFdatasync4K(benchmark::State& state) {
  ScratchDir dir;
  const int fd = open_preallocated(state, dir, "fdatasync.bin");
  if (fd < 0) return;
  std::vector<char> block(4096, 'x');
  std::vector<double> samples;
  samples.reserve(1 << 16);
  off_t offset = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    if (::pwrite(fd, block.data(), block.size(), offset) != 4096 || ::fdatasync(fd) != 0) {
      state.SkipWithError("write or fdatasync failed");
      break;
    }
    samples.push_back(static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count()));
    offset = (offset + 4096) % test_file_bytes;
  }
  ::close(fd);
  state.counters["p50_us"] = percentile_us(samples, 0.50);
  state.counters["p99_us"] = percentile_us(samples, 0.99);
}
BENCHMARK(BM_DiskFdatasync4K)->Unit(benchmark::kMicrosecond)->MinTime(1.0);

// What an async answer's pwrite costs while the writer thread fdatasyncs the
// same segment (it runs without the writer role): 300-byte appends into a
// preallocated file, with (arg 1) or without (arg 0) a thread fdatasyncing
// it every 2 ms, as the writer does at the default flush interval.
void BM_PwriteBesideFdatasync(benchmark::State& state) {
  ScratchDir dir;
  const int fd = open_preallocated(state, dir, "beside.bin");
  if (fd < 0) return;
  std::atomic<bool> stop{false};
  std::thread syncer([&] {
    while (state.range(0) != 0 && !stop.load(std::memory_order_acquire)) {
      (void)::fdatasync(fd);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  std::vector<char> record(300, 'x');
  std::vector<double> samples;
  samples.reserve(1 << 16);
  off_t offset = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    if (::pwrite(fd, record.data(), record.size(), offset) != static_cast<ssize_t>(record.size())) {
      state.SkipWithError("write failed");
      break;
    }
    samples.push_back(static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count()));
    offset = (offset + static_cast<off_t>(record.size())) % test_file_bytes;
    // About one batch per 50 us, as at 20,000 batches/s.
    state.PauseTiming();
    std::this_thread::sleep_for(std::chrono::microseconds(50));
    state.ResumeTiming();
  }
  stop.store(true, std::memory_order_release);
  syncer.join();
  ::close(fd);
  state.counters["p50_us"] = percentile_us(samples, 0.50);
  state.counters["p99_us"] = percentile_us(samples, 0.99);
  state.counters["p999_us"] = percentile_us(samples, 0.999);
}
BENCHMARK(BM_PwriteBesideFdatasync)->Arg(0)->Arg(1)->ArgName("syncing")->Unit(benchmark::kMicrosecond)->Iterations(40000);

// Producers append `records` 100-byte records, each keeping at most `window`
// unreleased (window = records: flood). Measures records/s from the first
// append to the last release, the average records per fdatasync, and the
// append-to-release latency.
struct AppendResultStats {
  double seconds = 0;
  WalStats wal;
  std::vector<double> latency_ns;
};

AppendResultStats run_appends(Durability durability, IoBackend backend, int producers, std::size_t records,
                              std::size_t window) {
  ScratchDir dir;
  WalOptions o;
  o.dir = dir.path();
  o.durability = durability;
  o.io_backend = backend;
  o.producers = static_cast<std::size_t>(producers);
  WalWriter w(o);
  if (Status s = w.open(); !s) std::abort();
  std::vector<ProducerId> ids;
  for (int k = 0; k < producers; ++k) ids.push_back(w.register_producer());
  const std::size_t each = records / static_cast<std::size_t>(producers);
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(producers));
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int k = 0; k < producers; ++k) {
    threads.emplace_back([&, k] {
      const ProducerId id = ids[static_cast<std::size_t>(k)];
      std::vector<double>& lat = latencies[static_cast<std::size_t>(k)];
      lat.reserve(each);
      std::vector<Clock::time_point> sent(each + 1);
      std::byte payload[record_payload_bytes]{};
      std::uint64_t appended = 0;
      std::uint64_t released = 0;
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      while (released < each) {
        if (appended < each && appended - released < window) {
          payload[0] = static_cast<std::byte>(appended);
          sent[appended + 1] = Clock::now();
          const AppendResult r = w.append(id, 1, payload);
          if (r.ok()) {
            ++appended;
            continue;
          }
          if (r.fault != Fault::queue_full) std::abort();
        }
        const std::uint64_t now_released = w.released_count(id);
        if (now_released > released) {
          const auto t = Clock::now();
          for (std::uint64_t i = released + 1; i <= now_released; ++i) {
            lat.push_back(static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(t - sent[i]).count()));
          }
          released = now_released;
        } else if (appended == each || appended - released >= window) {
          std::this_thread::yield();
        }
      }
    });
  }
  while (ready.load() < producers) std::this_thread::yield();
  const auto t0 = Clock::now();
  go.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  AppendResultStats out;
  out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (Status s = w.close(); !s) std::abort();
  out.wal = w.stats();
  for (auto& l : latencies) out.latency_ns.insert(out.latency_ns.end(), l.begin(), l.end());
  return out;
}

// Args: durability (0 sync, 1 async), backend (0 pwrite, 1 io_uring),
// producers, window (0 = flood).
void BM_Append(benchmark::State& state) {
  const auto durability = state.range(0) == 0 ? Durability::sync : Durability::async;
  const auto backend = state.range(1) == 0 ? IoBackend::pwrite : IoBackend::io_uring;
  const int producers = static_cast<int>(state.range(2));
  const std::size_t window = state.range(3) == 0 ? SIZE_MAX : static_cast<std::size_t>(state.range(3));
  // About a second of work at the expected rate: a flood runs at millions a
  // second, a window of w records at about w per fdatasync.
  const std::size_t records = window == SIZE_MAX ? 200000 : window <= 4 ? 500 : 20000;
  double seconds = 0;
  std::uint64_t syncs = 0;
  std::uint64_t batches = 0;
  std::uint64_t total = 0;
  std::vector<double> latency;
  for (auto _ : state) {
    AppendResultStats r = run_appends(durability, backend, producers, records, window);
    state.SetIterationTime(r.seconds);
    seconds += r.seconds;
    syncs += r.wal.syncs;
    batches += r.wal.batches;
    total += r.wal.records;
    latency.insert(latency.end(), r.latency_ns.begin(), r.latency_ns.end());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(total));
  state.counters["records_per_s"] = static_cast<double>(total) / seconds;
  state.counters["records_per_sync"] = syncs == 0 ? 0 : static_cast<double>(total) / static_cast<double>(syncs);
  state.counters["records_per_write"] = batches == 0 ? 0 : static_cast<double>(total) / static_cast<double>(batches);
  state.counters["release_p50_us"] = percentile_us(latency, 0.50);
  state.counters["release_p99_us"] = percentile_us(latency, 0.99);
}
BENCHMARK(BM_Append)
    ->ArgNames({"async", "uring", "producers", "window"})
    ->Args({0, 0, 1, 0})
    ->Args({0, 1, 1, 0})
    ->Args({0, 0, 2, 0})
    ->Args({0, 0, 1, 1})
    ->Args({0, 1, 1, 1})
    ->Args({0, 0, 2, 64})
    ->Args({1, 0, 1, 0})
    ->Args({1, 0, 2, 0})
    ->Args({1, 0, 2, 64})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

// Replay: every record of a log of one million 100-byte records, CRCs and
// sequence checked, the file in the page cache (start-up after a restart
// reads what the previous run just wrote).
void BM_Replay(benchmark::State& state) {
  static ScratchDir dir;
  static bool built = false;
  constexpr std::size_t records = 1'000'000;
  if (!built) {
    WalOptions o;
    o.dir = dir.path();
    o.durability = Durability::async;
    o.producers = 1;
    WalWriter w(o);
    if (Status s = w.open(); !s) std::abort();
    const ProducerId id = w.register_producer();
    std::byte payload[record_payload_bytes]{};
    for (std::size_t i = 0; i < records;) {
      payload[0] = static_cast<std::byte>(i);
      const AppendResult r = w.append(id, 1, payload);
      if (r.ok()) {
        ++i;
      } else if (r.fault == Fault::queue_full) {
        std::this_thread::yield();
      } else {
        std::abort();
      }
    }
    if (Status s = w.close(); !s) std::abort();
    built = true;
  }
  std::uint64_t total = 0;
  for (auto _ : state) {
    LogReader reader;
    if (Status s = reader.open(dir.path(), 1); !s) std::abort();
    RecordView r;
    bool has = true;
    std::uint64_t n = 0;
    std::uint64_t sum = 0;
    while (has) {
      if (Status s = reader.next(r, has); !s) std::abort();
      if (has) {
        ++n;
        sum += r.payload.size();
      }
    }
    benchmark::DoNotOptimize(sum);
    total += n;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(total));
}
BENCHMARK(BM_Replay)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Crc32c(benchmark::State& state) {
  std::vector<std::byte> data(static_cast<std::size_t>(state.range(1)), std::byte{0x5a});
  const bool hardware = state.range(0) == 1;
  if (hardware && !crc32c_hardware_available()) {
    state.SkipWithError("no SSE4.2");
    return;
  }
  std::uint32_t crc = 0;
  for (auto _ : state) {
    crc = hardware ? crc32c_extend_hardware(crc, data.data(), data.size())
                   : crc32c_extend_portable(crc, data.data(), data.size());
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(1));
}
BENCHMARK(BM_Crc32c)->ArgNames({"hw", "bytes"})->Args({0, 128})->Args({1, 128})->Args({1, 4096});

}  // namespace
}  // namespace authswitch::ledger

BENCHMARK_MAIN();
