// The append path allocates nothing per record (STYLE, SPEC 13): global
// operator new is counted while records flow from a producer through the
// writer thread to disk.
#include <gtest/gtest.h>

#include "ledger/wal_writer.h"
#include "tests/support/alloc_counter.h"
#include "tests/ledger/test_util.h"
#include "tests/ledger/wait_until.h"

namespace authswitch::ledger {
namespace {

void append_and_wait(WalWriter& w, ProducerId p, int count) {
  std::byte payload[100]{};
  std::uint64_t ticket = 0;
  for (int i = 0; i < count; ++i) {
    payload[0] = static_cast<std::byte>(i);
    AppendResult r;
    ASSERT_TRUE(testing::wait_until([&] { return (r = w.append(p, 1, payload)).fault != Fault::queue_full; }));
    ASSERT_TRUE(r.ok());
    ticket = r.ticket;
  }
  ASSERT_TRUE(testing::wait_until([&] { return w.released_count(p) >= ticket; }));
}

class WalAllocation : public ::testing::TestWithParam<Durability> {};

TEST_P(WalAllocation, AppendingAndWritingAllocateNothingPerRecord) {
  testing::TempDir dir;
  WalOptions o;
  o.dir = dir.path();
  o.producers = 2;
  o.durability = GetParam();
  WalWriter w(o);
  ASSERT_TRUE(w.open());
  const ProducerId p = w.register_producer();
  append_and_wait(w, p, 100);  // warm-up: the producer's first blocks
  const std::uint64_t before = ::authswitch::test::allocations();
  append_and_wait(w, p, 20000);
  EXPECT_EQ(test::allocations() - before, 0u);
  ASSERT_TRUE(w.close());
}

INSTANTIATE_TEST_SUITE_P(Durability, WalAllocation, ::testing::Values(Durability::sync, Durability::async),
                         [](const auto& param_info) { return param_info.param == Durability::sync ? "sync" : "async"; });

}  // namespace
}  // namespace authswitch::ledger
