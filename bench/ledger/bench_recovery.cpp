// Recovery speed (SPEC 14: replay >= 2M records/s): a log of ~1M decision
// records made by a live core (demo accounts, 100,000 cards) through a
// WalEventSink, then (1) read + decode only, (2) recover_core into a fresh
// core: read, check, decode, restore the PAN, Core::apply. Records counted
// are the core's decision records. Files go to $AUTHSWITCH_BENCH_DIR
// (default /tmp); $AUTHSWITCH_BENCH_RECORDS overrides the count.
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "bench/ledger/demo_core.h"
#include "bench/ledger/random_requests.h"
#include "core/accounts_loader.h"
#include "core/core.h"
#include "core/demo_data.h"
#include "ledger/core_recovery.h"
#include "ledger/event_codec.h"
#include "ledger/log_reader.h"
#include "ledger/wal_event_sink.h"
#include "ledger/wal_writer.h"

namespace {

using namespace authswitch;
using Clock = std::chrono::steady_clock;

constexpr std::size_t cards = 100'000;

std::size_t record_count() {
  const char* env = std::getenv("AUTHSWITCH_BENCH_RECORDS");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 1'000'000;
}

// A table at most half full after `records` decisions.
std::unique_ptr<core::Core> make_core(const std::string& text, std::size_t records) {
  std::size_t capacity = 1;
  while (capacity < records * 2) capacity <<= 1;
  return bench::make_demo_core(text, capacity);
}

int fail(const std::string& why) {
  std::fprintf(stderr, "bench_recovery: %s\n", why.c_str());
  return 1;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// This thread's CPU time: on a loaded machine the wall time mostly measures
// the wait for a core; replay is single-threaded, so its CPU time is its cost.
double thread_cpu_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main() {
  const std::size_t records = record_count();
  const char* root_env = std::getenv("AUTHSWITCH_BENCH_DIR");
  const std::string root = root_env != nullptr && *root_env != '\0' ? root_env : "/tmp";
  std::string dir = root + "/bench-recovery-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) return fail("mkdtemp " + dir);
  const std::string accounts = core::generate_demo_accounts(cards);
  ledger::PanKey key{};
  const ledger::PanCipher cipher(key);

  auto live = make_core(accounts, records);
  {
    ledger::WalOptions o;
    o.dir = dir;
    o.durability = ledger::Durability::async;
    o.producers = 1;
    ledger::WalWriter wal(o);
    if (const ledger::Status s = wal.open(); !s) return fail(s.to_string());
    ledger::WalEventSink sink(wal, wal.register_producer(), &cipher, live.get());
    bench::RandomRequests requests(cards);
    for (std::size_t i = 0; i < records; ++i) {
      const core::AuthRequest r = requests.next(i);
      sink.reset_fault();
      (void)live->authorize(0, r, sink);
      if (sink.fault() != ledger::Fault::none) return fail("the live core's log sink faulted at decision " + std::to_string(i));
      // Keep the producer's queue (4096 records) from filling: the core has
      // applied a decision by the time its append could fail.
      if (i % 1024 == 1023) {
        while (!wal.is_released(sink.producer(), sink.last_ticket())) ::sched_yield();
      }
    }
    if (const ledger::Status s = wal.close(); !s) return fail(s.to_string());
  }

  // (1) read + check + decode only.
  auto t = Clock::now();
  double cpu = thread_cpu_s();
  ledger::LogReader reader;
  if (const ledger::Status s = reader.open(dir, 1); !s) return fail(s.to_string());
  ledger::RecordView rec;
  bool has = true;
  std::size_t decoded = 0;
  core::Event ev;
  for (;;) {
    if (const ledger::Status s = reader.next(rec, has); !s) return fail(s.to_string());
    if (!has) break;
    if (!ledger::is_core_event_type(rec.type)) continue;
    if (!ledger::decode_event(rec.type, rec.payload, &cipher, ev).ok()) return fail("a record does not decode");
    ++decoded;
  }
  const double decode_s = seconds_since(t);
  const double decode_cpu_s = thread_cpu_s() - cpu;

  // (2) full recovery into a fresh core.
  auto fresh = make_core(accounts, records);
  ledger::CoreRecoveryResult result;
  t = Clock::now();
  cpu = thread_cpu_s();
  if (const ledger::Status s = ledger::recover_core(dir, *fresh, &cipher, result); !s) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return 1;
  }
  const double recover_s = seconds_since(t);
  const double recover_cpu_s = thread_cpu_s() - cpu;
  const bool same = fresh->dump_state() == live->dump_state();
  std::printf("records %zu (core events %llu)\n", decoded, static_cast<unsigned long long>(result.events_applied));
  const auto n = static_cast<double>(result.events_applied);
  std::printf("read+decode:  wall %.3f s %.2f M/s, cpu %.3f s %.2f M/s\n", decode_s,
              static_cast<double>(decoded) / decode_s / 1e6, decode_cpu_s,
              static_cast<double>(decoded) / decode_cpu_s / 1e6);
  std::printf("recover_core: wall %.3f s %.2f M/s, cpu %.3f s %.2f M/s (state equal to live: %s)\n", recover_s,
              n / recover_s / 1e6, recover_cpu_s, n / recover_cpu_s / 1e6, same ? "yes" : "NO");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return same ? 0 : 1;
}
