// Reserve before deciding: an authorization thread checks that its log
// producer has room for the decision's record before it calls the core. With
// the log's writer stalled the producer's queue fills; the next request is
// answered 91 with the core untouched, and its retransmission, once the log
// has caught up, is decided afresh (not the stored 91 of a decision that was
// never logged).
#include <gtest/gtest.h>

#include <sstream>

#include "io/switch_constants.h"
#include "ledger/wal_writer.h"
#include "tests/io/switch_test_support.h"
#include "tests/io/wait_until.h"

namespace authswitch::test {
namespace {

TEST(WalWriterRoom, CountsDownWhileTheWriterIsStalledAndComesBackAfter) {
  const auto dir = temp_dir("wal-room");
  ledger::WalOptions options;
  options.dir = dir.string();
  options.durability = ledger::Durability::async;
  options.producers = 2;
  ledger::WalWriter wal(options);
  ASSERT_TRUE(wal.open().ok());
  const ledger::ProducerId p = wal.register_producer();
  const ledger::ProducerId other = wal.register_producer();
  EXPECT_EQ(wal.room(p), ledger::WalWriter::room_max());
  wal.stall_for_test(true);
  const std::byte payload[8] = {};
  // A client-request event type: any event type the writer accepts will do.
  const std::uint16_t type = static_cast<std::uint16_t>(io::SwitchRecord::link_up);
  std::size_t appended = 0;
  while (wal.room(p) > 0) {
    const std::size_t before = wal.room(p);
    ASSERT_TRUE(wal.append(p, type, payload).ok()) << "room said " << before << " after " << appended;
    ASSERT_EQ(wal.room(p), before - 1);
    ++appended;
  }
  EXPECT_EQ(appended, ledger::WalWriter::room_max());
  EXPECT_EQ(wal.room(other), ledger::WalWriter::room_max()) << "one producer's queue is its own";
  wal.stall_for_test(false);
  EXPECT_TRUE(wait_until([&] { return wal.room(p) == ledger::WalWriter::room_max(); }, std::chrono::seconds(10)));
  EXPECT_TRUE(wal.close().ok());
  std::filesystem::remove_all(dir);
}

std::uint64_t metric_value(io::SwitchRuntime& rt, const std::string& name) {
  std::istringstream in(rt.metrics().render());
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stoull(line.substr(name.size() + 1));
  }
  return ~std::uint64_t{0};
}

struct Footprint {
  std::int64_t balance = 0, holds = 0, totals = 0;
  bool operator==(const Footprint&) const = default;
};

Footprint footprint(core::Core& c, std::uint32_t user) {
  const core::OwnerView v = c.read_user(user, 0);
  Footprint f{v.balance, v.open_holds, 0};
  for (std::size_t i = 0; i < v.limit_count; ++i) f.totals += v.limits[i].current.total + v.limits[i].next.total;
  return f;
}

class SwitchReserve : public ::testing::TestWithParam<io::Durability> {};

TEST_P(SwitchReserve, FullLogQueueAnswers91WithoutTouchingTheCoreAndARetransmissionIsDecidedAfresh) {
  const auto dir = temp_dir("reserve");
  RunningSwitch sw(test_config(dir, GetParam()));
  io::SwitchRuntime& rt = sw.runtime();
  const std::uint32_t user = rt.core().find_user("u0");  // owns demo cards 0 and 1
  ASSERT_NE(user, core::no_index);
  const Footprint before = footprint(rt.core(), user);

  auto client = std::make_unique<Client>(sw.port());
  Client& c = *client;
  ASSERT_TRUE(c.connected());
  rt.wal().stall_for_test(true);
  // One decision record each fills the authorization thread's producer
  // exactly (one thread, no other decisions yet). Cards 10..999, never card
  // 0's user (cards 0 and 1).
  const std::size_t fill = ledger::WalWriter::room_max() / constants::switch_records_per_operation;
  std::string burst;
  for (std::size_t i = 0; i < fill; ++i) {
    burst += frame_of(auth_request(10 + i % 990, 1, static_cast<std::uint32_t>(100'000 + i)));
  }
  c.send_bytes(burst);
  const Fields x = auth_request(0, 1000, 900'001);
  c.send(x);
  ASSERT_TRUE(wait_until([&] { return metric_value(rt, "authswitch_shed_log_queue_total") == 1; },
                         std::chrono::seconds(20)))
      << "request X was not refused for want of log room";
  EXPECT_EQ(footprint(rt.core(), user), before) << "the refused request moved the core's state";

  rt.wal().stall_for_test(false);
  std::optional<Fields> x_answer;
  std::size_t answers = 0;
  for (std::size_t i = 0; i < fill + 1; ++i) {
    const std::optional<Fields> a = c.read(std::chrono::seconds(20));
    ASSERT_TRUE(a.has_value()) << "answer " << i << " missing";
    ++answers;
    if (a->at(11) == x.at(11)) x_answer = a;
    else EXPECT_NE(a->at(39), "91") << "a request before the queue was full was shed";
  }
  ASSERT_TRUE(x_answer.has_value());
  EXPECT_EQ(x_answer->at(39), "91");
  EXPECT_EQ(footprint(rt.core(), user), before);

  // The retransmission: decided now (approved), not the stored answer of a
  // decision that never happened.
  const Fields again = c.roundtrip(x);
  EXPECT_EQ(again.at(39), "00");
  EXPECT_TRUE(again.count(38));
  EXPECT_NE(footprint(rt.core(), user), before) << "the approval moved nothing: the footprint sees nothing";
  EXPECT_EQ(metric_value(rt, "authswitch_shed_log_queue_total"), 1u);
  client.reset();  // the switch waits for its peer to close before it stops
  EXPECT_EQ(sw.stop(), "");
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Durability, SwitchReserve, ::testing::Values(io::Durability::sync, io::Durability::async),
                         [](const auto& param_info) { return param_info.param == io::Durability::sync ? "sync" : "async"; });

}  // namespace
}  // namespace authswitch::test
