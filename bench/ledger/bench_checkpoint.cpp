// Periodic snapshots (ledger/checkpointer.h): what they cost.
//
//  1. A live core (demo accounts, $AUTHSWITCH_BENCH_CARDS cards, default
//     1,000,000; the default transaction table, 2^22 entries) authorizes
//     $AUTHSWITCH_BENCH_RECORDS random decisions (default 2,000,000) into an
//     `async` log while a Checkpointer (nice 10, as serve runs it) follows the
//     log and snapshots every $AUTHSWITCH_BENCH_EVERY records (default
//     500,000). Reported: the checkpointer thread's CPU time per record (its
//     cost to a switch sharing the machine), the live thread's CPU time per
//     decision beside it, snapshots, segments removed, and the final
//     (shutdown) snapshot.
//  2. A snapshot of the 1M-card core alone, 3 times: save_state + write +
//     fsync + rename, wall and CPU time, bytes; and loading it into a fresh
//     core.
// Files go to $AUTHSWITCH_BENCH_DIR (default /tmp), which must be a disk.
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/ledger/demo_core.h"
#include "bench/ledger/random_requests.h"
#include "core/accounts_loader.h"
#include "core/core.h"
#include "core/demo_data.h"
#include "ledger/checkpointer.h"
#include "ledger/core_snapshot.h"
#include "ledger/log_files.h"
#include "ledger/wal_event_sink.h"
#include "ledger/wal_writer.h"

namespace {

using namespace authswitch;
using Clock = std::chrono::steady_clock;

std::size_t env_or(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double thread_cpu_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main() {
  const std::size_t cards = env_or("AUTHSWITCH_BENCH_CARDS", 1'000'000);
  const std::size_t records = env_or("AUTHSWITCH_BENCH_RECORDS", 2'000'000);
  const std::size_t every = env_or("AUTHSWITCH_BENCH_EVERY", 500'000);
  const char* root_env = std::getenv("AUTHSWITCH_BENCH_DIR");
  const std::string root = root_env != nullptr && *root_env != '\0' ? root_env : "/tmp";
  std::string dir = root + "/bench-checkpoint-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) return 1;
  const std::string accounts = core::generate_demo_accounts(cards);
  ledger::PanKey key{};
  const ledger::PanCipher cipher(key);
  auto live = bench::make_demo_core(accounts);
  const auto loaded_cards = static_cast<std::uint32_t>(live->accounts().card_pans.size());

  // 1. The checkpointer following a live log.
  ledger::WalOptions o;
  o.dir = dir;
  o.durability = ledger::Durability::async;
  o.producers = 2;
  ledger::WalWriter wal(o);
  if (!wal.open().ok()) return 1;
  ledger::WalEventSink sink(wal, wal.register_producer(), &cipher, live.get());
  ledger::CheckpointerOptions c;
  c.dir = dir;
  c.snapshot_every = every;
  c.loaded_cards = loaded_cards;
  c.make_core = [&accounts] { return bench::make_demo_core(accounts); };
  c.log = [](const std::string& line) { std::printf("  checkpointer: %s\n", line.c_str()); };
  ledger::Checkpointer checkpointer(c, wal, wal.register_producer(), &cipher);
  checkpointer.start();
  while (!checkpointer.ready() && !checkpointer.failed()) ::sched_yield();  // its shadow built first
  std::printf("shadow core built in %.2f s\n", checkpointer.stats().build_seconds);
  const auto started = Clock::now();
  const double live_cpu0 = thread_cpu_s();
  bench::RandomRequests requests(cards);
  for (std::size_t i = 0; i < records; ++i) {
    const core::AuthRequest r = requests.next(i);
    sink.reset_fault();
    (void)live->authorize(0, r, sink);
    if (sink.fault() != ledger::Fault::none) return 1;
    if (i % 1024 == 1023) {
      while (!wal.is_released(sink.producer(), sink.last_ticket())) ::sched_yield();
    }
  }
  const double live_cpu = thread_cpu_s() - live_cpu0;
  const double produce_s = seconds_since(started);
  while (!wal.is_released(sink.producer(), sink.last_ticket())) ::sched_yield();
  const std::uint64_t lag_at_end = checkpointer.lag();
  const auto final_started = Clock::now();
  if (const ledger::Status s = checkpointer.stop(true); !s) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return 1;
  }
  const double catch_up_and_final_s = seconds_since(final_started);
  if (!wal.close().ok()) return 1;
  const ledger::CheckpointerStats st = checkpointer.stats();
  const auto applied = static_cast<double>(st.applied_sequence);
  std::printf("records %zu decisions (log sequences %llu) in %.2f s; live thread cpu %.3f s (%.2f us/decision)\n",
              records, static_cast<unsigned long long>(st.applied_sequence), produce_s, live_cpu,
              live_cpu / static_cast<double>(records) * 1e6);
  std::printf("checkpointer: cpu %.3f s = %.2f us/record (of which snapshots %.3f s; replay alone %.2f us/record;"
              " the build apart: %.2f s wall, %.2f s cpu), "
              "%llu snapshots, %llu segments and %llu snapshots removed, lag when the producer ended %llu records,"
              " catch-up + final snapshot %.2f s (final snapshot alone %.2f s, %llu bytes)\n",
              st.cpu_seconds, st.cpu_seconds / applied * 1e6, st.snapshot_cpu_seconds,
              (st.cpu_seconds - st.snapshot_cpu_seconds) / applied * 1e6, st.build_seconds, st.build_cpu_seconds,
              static_cast<unsigned long long>(st.snapshots_written),
              static_cast<unsigned long long>(st.segments_removed),
              static_cast<unsigned long long>(st.snapshots_removed), static_cast<unsigned long long>(lag_at_end),
              catch_up_and_final_s, st.last_snapshot_seconds, static_cast<unsigned long long>(st.last_snapshot_bytes));
  std::vector<ledger::SegmentFile> segments;
  (void)ledger::list_segments(dir, segments);
  std::printf("segments left %zu (first begins at %llu)\n", segments.size(),
              segments.empty() ? 0ull : static_cast<unsigned long long>(segments.front().first_sequence));

  // 2. A snapshot of the live core alone, and loading it.
  for (int rep = 0; rep < 3; ++rep) {
    const auto t = Clock::now();
    const double cpu0 = thread_cpu_s();
    ledger::SnapshotInfo info;
    const std::uint64_t covered = 1'000'000'000 + static_cast<std::uint64_t>(rep);
    if (const ledger::Status s = ledger::write_core_snapshot(dir, *live, loaded_cards, covered, &cipher, &info); !s) {
      std::fprintf(stderr, "%s\n", s.to_string().c_str());
      return 1;
    }
    std::printf("snapshot of %zu cards, %zu decisions: wall %.3f s, cpu %.3f s, %.1f MB\n", cards, records,
                seconds_since(t), thread_cpu_s() - cpu0, static_cast<double>(info.payload_bytes) / 1e6);
    if (rep == 2) {
      auto fresh = bench::make_demo_core(accounts);
      const auto tl = Clock::now();
      const double cpul = thread_cpu_s();
      std::vector<std::byte> payload;
      ledger::Status s = ledger::read_snapshot(info, [&](std::span<const std::byte> chunk) {
        payload.insert(payload.end(), chunk.begin(), chunk.end());
        return ledger::Status{};
      });
      if (s) s = ledger::load_core_snapshot(payload, *fresh, &cipher);
      if (!s) {
        std::fprintf(stderr, "%s\n", s.to_string().c_str());
        return 1;
      }
      const double load_s = seconds_since(tl);
      const double load_cpu_s = thread_cpu_s() - cpul;
      const bool same = fresh->dump_state() == live->dump_state();
      std::printf("load it into a fresh core: wall %.3f s, cpu %.3f s (state equal to live: %s)\n", load_s, load_cpu_s,
                  same ? "yes" : "NO");
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
