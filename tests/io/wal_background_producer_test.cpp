// The log's background producers (ledger/wal_writer.h), as the switch uses
// them for the io loops' own records: they wake nobody, are still written,
// and reach the disk in `sync` within the flush interval or with the next
// awaited record. Here, beside the io tests, because the switch's wake-up
// count rests on them; the writer's own tests stay in tests/ledger.
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "ledger/wal_writer.h"
#include "tests/io/wait_until.h"
#include "tests/ledger/test_util.h"

namespace authswitch::ledger {
namespace {

using test::wait_until;
using testing::payload_of;
using testing::TempDir;

WalOptions options_for(const TempDir& dir, Durability durability, int efd) {
  WalOptions o;
  o.dir = dir.path();
  o.producers = 2;
  o.segment_bytes = 64 * 1024;
  o.durability = durability;
  o.notify_eventfd = efd;
  return o;
}

// Reads the eventfd without blocking: its count, 0 when never signalled.
std::uint64_t drain(int efd) {
  std::uint64_t count = 0;
  if (::read(efd, &count, sizeof count) != static_cast<ssize_t>(sizeof count)) {
    EXPECT_EQ(errno, EAGAIN);
    return 0;
  }
  return count;
}

class WalBackgroundProducer : public ::testing::TestWithParam<Durability> {};

TEST_P(WalBackgroundProducer, RecordsAreWrittenAndSyncedWithoutSignallingTheLoops) {
  TempDir dir;
  const int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_GE(efd, 0);
  WalWriter w(options_for(dir, GetParam(), efd));
  ASSERT_TRUE(w.open());
  (void)drain(efd);  // the open's own signal
  const ProducerId bg = w.register_producer(ProducerKind::background);
  const auto bytes = payload_of("received");
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(w.append(bg, 1, bytes).ok());
  // No awaited record follows: the writer's nap or its long sleep's end
  // (both bounded) takes them, and the flush interval syncs them.
  EXPECT_TRUE(wait_until([&] { return w.written_count(bg) == 10; }));
  EXPECT_TRUE(wait_until([&] { return w.durable_count(bg) == 10; }));
  EXPECT_EQ(drain(efd), 0u) << "a publish that releases nothing awaited must not wake the loops";
  ASSERT_TRUE(w.close());
  ::close(efd);
}

TEST_P(WalBackgroundProducer, AnAwaitedRecordIsSignalledAndMakesEarlierOnesDurable) {
  TempDir dir;
  const int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_GE(efd, 0);
  WalWriter w(options_for(dir, GetParam(), efd));
  ASSERT_TRUE(w.open());
  const ProducerId bg = w.register_producer(ProducerKind::background);
  const ProducerId awaited = w.register_producer();
  ASSERT_TRUE(w.append(bg, 1, payload_of("received")).ok());
  ASSERT_TRUE(wait_until([&] { return w.written_count(bg) == 1; }));
  const AppendResult r = w.append(awaited, 1, payload_of("decision"));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(wait_until([&] { return w.is_released(awaited, r.ticket); }));
  // Written before the awaited record, so an fdatasync that made the awaited
  // one durable made it durable too (if the interval's sync had not already).
  if (GetParam() == Durability::sync) {
    EXPECT_EQ(w.durable_count(bg), 1u);
  }
  EXPECT_TRUE(wait_until([&] { return drain(efd) >= 1; })) << "the awaited record's release is signalled";
  ASSERT_TRUE(w.close());
  ::close(efd);
}

INSTANTIATE_TEST_SUITE_P(Durabilities, WalBackgroundProducer,
                         ::testing::Values(Durability::sync, Durability::async),
                         [](const ::testing::TestParamInfo<Durability>& param_info) {
                           return std::string(param_info.param == Durability::sync ? "sync" : "async");
                         });

}  // namespace
}  // namespace authswitch::ledger
