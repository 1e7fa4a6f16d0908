// kill -9 at random moments (label "slow"): a child process runs a seeded
// random sequence of operations through Core + WalEventSink + a WalWriter in
// sync mode and reports each acknowledged operation (its last ticket
// released) to the parent over a pipe. The parent kills it, recovers a core
// from the log and checks that its state is a model core's after exactly the
// acknowledged operations' events plus possibly some of the next operation's
// events, each whole: never fewer, never a half-applied event.
#include <gtest/gtest.h>

#include <sched.h>
#include <unistd.h>

#include <random>
#include <vector>

#include "ledger/core_recovery.h"
#include "ledger/wal_event_sink.h"
#include "ledger/wal_writer.h"
#include "tests/ledger/core_recovery_driver.h"
#include "tests/ledger/kill_nine.h"
#include "tests/ledger/test_util.h"

namespace authswitch::ledger::testing {
namespace {

constexpr std::uint32_t child_ops_max = 600;

[[noreturn]] void child(const std::string& dir, std::uint64_t seed, int fd) {
  const PanCipher cipher(driver_key());
  auto core = driver_core();
  WalOptions o;
  o.dir = dir;
  o.durability = Durability::sync;
  o.segment_bytes = 64 * 1024;
  o.producers = 1;
  WalWriter wal(o);
  if (!wal.open().ok()) ::_exit(2);
  const ProducerId p = wal.register_producer();
  WalEventSink sink(wal, p, &cipher, core.get());
  OpDriver driver(seed);
  for (std::uint32_t op = 0; op < child_ops_max; ++op) {
    sink.reset_fault();
    driver.step(*core, sink);
    if (sink.fault() != Fault::none) ::_exit(3);
    while (!wal.is_released(p, sink.last_ticket())) ::sched_yield();
    if (::write(fd, &op, sizeof op) != sizeof op) ::_exit(4);
  }
  (void)wal.close();
  ::_exit(0);
}

TEST(CoreCrash, RecoveryAfterKillNineHoldsEveryAcknowledgedOperationAndNoHalfEvent) {
  const PanCipher cipher(driver_key());
  std::mt19937_64 rng(8583);
  int rounds_with_unacknowledged_tail = 0;
  for (int round = 0; round < 12; ++round) {
    SCOPED_TRACE(round);
    const std::uint64_t seed = 1000 + static_cast<std::uint64_t>(round);
    const ExpectedEvents expected = expected_events(seed, child_ops_max);
    TempDir dir;
    // Kill after a random number of acknowledgements (sometimes none).
    const std::uint32_t kill_after = static_cast<std::uint32_t>(rng() % 120);
    const KilledChild run = run_and_kill_nine([&](int fd) { child(dir.path(), seed, fd); }, kill_after);
    ASSERT_EQ(run.error, "");
    ASSERT_TRUE(run.killed() || run.exited_cleanly()) << run.status;
    // Acknowledgements already in the pipe count too.
    for (std::size_t i = 0; i < run.acks.size(); ++i) ASSERT_EQ(run.acks[i], i);
    const auto acked = static_cast<std::uint32_t>(run.acks.size());

    auto recovered = driver_core();
    CoreRecoveryResult result;
    const Status s = recover_core(dir.path(), *recovered, &cipher, result);
    ASSERT_TRUE(s.ok()) << s.to_string();
    const std::string got = recovered->dump_state();

    const std::size_t low = acked == 0 ? 0 : expected.events_after[acked - 1];
    const std::size_t high = acked < child_ops_max ? expected.events_after[acked] : low;
    ASSERT_GE(result.events_applied, low) << "an acknowledged operation was lost";
    ASSERT_LE(result.events_applied, high) << "more events than the operations run";
    auto model = driver_core();
    for (std::size_t i = 0; i < result.events_applied; ++i) model->apply(expected.events[i]);
    ASSERT_EQ(got, model->dump_state()) << "acked " << acked << ", events " << result.events_applied;
    if (result.events_applied > low) ++rounds_with_unacknowledged_tail;
  }
  // Not asserted (timing decides it), only reported.
  std::printf("rounds that recovered events of an unacknowledged operation: %d of 12\n",
              rounds_with_unacknowledged_tail);
}

}  // namespace
}  // namespace authswitch::ledger::testing
