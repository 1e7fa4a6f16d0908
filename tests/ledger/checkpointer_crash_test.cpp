// kill -9 at random moments while the checkpointer writes snapshots every
// 100 records (label "slow"): a child process runs a seeded random sequence
// of operations through Core + WalEventSink + a `sync` WalWriter with a
// Checkpointer following the log, and reports each acknowledged operation
// (its last ticket released) to the parent over a pipe. The parent kills it
// (mid-replay, mid-snapshot, mid-prune: wherever it happens to be), recovers
// a core from what is on disk (the newest valid snapshot and the log after
// it; the early segments are gone) and checks that its state is a model
// core's after every acknowledged operation's events plus possibly some of
// the next operation's, each whole.
#include <gtest/gtest.h>

#include <sched.h>
#include <unistd.h>

#include <random>
#include <vector>

#include "ledger/checkpointer.h"
#include "ledger/core_recovery.h"
#include "ledger/wal_event_sink.h"
#include "ledger/wal_writer.h"
#include "tests/ledger/core_recovery_driver.h"
#include "tests/ledger/kill_nine.h"
#include "tests/ledger/test_util.h"

namespace authswitch::ledger::testing {
namespace {

constexpr std::uint32_t child_ops_max = 1500;
constexpr std::uint64_t snapshot_every = 100;
// The child waits after this many operations until its first snapshot is
// written, so a kill later than that must recover from a snapshot.
constexpr std::uint32_t ops_before_first_snapshot_known = 250;

[[noreturn]] void child(const std::string& dir, std::uint64_t seed, int fd) {
  const PanCipher cipher(driver_key());
  auto core = driver_core();
  WalOptions o;
  o.dir = dir;
  o.durability = Durability::sync;
  o.segment_bytes = 16 * 1024;
  o.producers = 2;
  WalWriter wal(o);
  if (!wal.open().ok()) ::_exit(2);
  const ProducerId p = wal.register_producer();
  CheckpointerOptions c;
  c.dir = dir;
  c.snapshot_every = snapshot_every;
  c.loaded_cards = static_cast<std::uint32_t>(core->accounts().card_pans.size());
  c.make_core = [] { return driver_core(); };
  c.nice = 0;
  c.thread_class = core::ThreadClass::unchanged;  // not starved by the other tests' CPU
  c.batch_records = 32;
  c.idle_wait_ms = 1;
  c.log = [](const std::string&) {};
  Checkpointer checkpointer(c, wal, wal.register_producer(), &cipher);
  checkpointer.start();
  WalEventSink sink(wal, p, &cipher, core.get());
  OpDriver driver(seed);
  for (std::uint32_t op = 0; op < child_ops_max; ++op) {
    sink.reset_fault();
    driver.step(*core, sink);
    if (sink.fault() != Fault::none) ::_exit(3);
    while (!wal.is_released(p, sink.last_ticket())) ::sched_yield();
    if (::write(fd, &op, sizeof op) != sizeof op) ::_exit(4);
    // From here on a snapshot exists (the parent relies on it): about 2.5
    // intervals have gone by.
    if (op + 1 == ops_before_first_snapshot_known) {
      while (checkpointer.stats().last_covered == 0) {
        if (checkpointer.failed()) ::_exit(6);
        ::sched_yield();
      }
    }
  }
  if (!checkpointer.stop(true).ok()) ::_exit(5);
  (void)wal.close();
  ::_exit(0);
}

TEST(CheckpointerCrash, KillNineAnywhereRecoversEveryAcknowledgedOperationFromSnapshotAndTail) {
  const PanCipher cipher(driver_key());
  std::mt19937_64 rng(4711);
  constexpr int rounds = 10;
  int from_snapshot = 0;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE(round);
    const std::uint64_t seed = 2000 + static_cast<std::uint64_t>(round);
    const ExpectedEvents expected = expected_events(seed, child_ops_max);
    TempDir dir;
    const auto kill_after = static_cast<std::uint32_t>(rng() % child_ops_max);
    const KilledChild run = run_and_kill_nine([&](int fd) { child(dir.path(), seed, fd); }, kill_after);
    ASSERT_EQ(run.error, "");
    ASSERT_TRUE(run.killed() || run.exited_cleanly()) << run.status;
    for (std::size_t i = 0; i < run.acks.size(); ++i) ASSERT_EQ(run.acks[i], i);
    const auto acked = static_cast<std::uint32_t>(run.acks.size());

    auto recovered = driver_core();
    CoreRecoveryResult result;
    const Status s = recover_core(dir.path(), *recovered, &cipher, result);
    ASSERT_TRUE(s.ok()) << s.to_string();
    if (result.snapshot) ++from_snapshot;
    if (acked >= ops_before_first_snapshot_known) {
      ASSERT_TRUE(result.snapshot.has_value()) << "acked " << acked << " but no snapshot";
    }
    const std::string got = recovered->dump_state();

    // The state must be the model's after k events, low <= k <= high.
    const std::size_t low = acked == 0 ? 0 : expected.events_after[acked - 1];
    const std::size_t high = acked < child_ops_max ? expected.events_after[acked] : low;
    auto model = driver_core();
    for (std::size_t i = 0; i < low; ++i) model->apply(expected.events[i]);
    bool matched = model->dump_state() == got;
    for (std::size_t k = low; !matched && k < high; ++k) {
      model->apply(expected.events[k]);
      matched = model->dump_state() == got;
    }
    ASSERT_TRUE(matched) << "acked " << acked << " (events " << low << ".." << high << "), snapshot "
                         << (result.snapshot ? std::to_string(result.snapshot->covered_sequence) : "none")
                         << ", records after it " << result.records_read;
  }
  // The seeded kill points put most rounds past the first snapshot; a test
  // where none were would prove nothing about snapshots.
  EXPECT_GE(from_snapshot, rounds / 2);
  std::printf("rounds recovered from a snapshot: %d of %d\n", from_snapshot, rounds);
}

}  // namespace
}  // namespace authswitch::ledger::testing
