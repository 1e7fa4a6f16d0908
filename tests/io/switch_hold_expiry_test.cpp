// Hold expiry in a running switch (SPEC 8, io/hold_sweeper.h), through a
// real socket and a real log: a hold older than hold_days is released by the
// switch's own sweep and recorded, a recent one is kept, and a restart on
// the same log rebuilds the released state from the record; holds that
// expired while the switch was down are released at start-up.
#include <gtest/gtest.h>

#include <ctime>
#include <memory>

#include "io/wall_clock.h"
#include "ledger/event_codec.h"
#include "tests/io/switch_test_support.h"
#include "tests/io/wait_until.h"

namespace authswitch::test {
namespace {

// Field 7 (MMDDhhmmss, UTC) for `ms` since the epoch.
std::string field7_at(core::TimeMs ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[16];
  const std::size_t n = std::strftime(text, sizeof(text), "%m%d%H%M%S", &tm);
  return std::string(text, n);
}

std::int64_t open_holds(RunningSwitch& sw, const char* user) {
  core::Core& core = sw.runtime().core();
  return core.read_user(core.find_user(user), io::realtime_ms()).open_holds;
}

TEST(SwitchHoldExpiry, AHoldOlderThanHoldDaysIsReleasedAndRecordedARecentOneIsKept) {
  const auto dir = temp_dir("holds");
  io::Config config = test_config(dir, io::Durability::sync);  // "clock": "message": field 7 dates each hold
  ASSERT_EQ(config.hold_days, 7u);
  const core::TimeMs now = io::realtime_ms();
  {
    RunningSwitch sw(config, 1000, /*hold_sweep_interval_ms=*/20);
    auto client = std::make_unique<Client>(sw.port());
    Client& c = *client;
    Fields old_hold = auth_request(0, 1000, 1);  // card 0: user u0, prepaid
    old_hold[7] = field7_at(now - 8 * core::ms_per_day);
    Fields recent = auth_request(0, 2000, 2);
    recent[7] = field7_at(now - 6 * core::ms_per_day);
    ASSERT_EQ(c.roundtrip(old_hold).at(39), "00");
    ASSERT_EQ(c.roundtrip(recent).at(39), "00");
    ASSERT_TRUE(wait_until([&] { return open_holds(sw, "u0") == 2000; })) << open_holds(sw, "u0");
    bool said = false;
    ASSERT_TRUE(wait_until([&] {
      for (const std::string& line : sw.lines()) said |= line.rfind("holds: 1 expired after 7 days", 0) == 0;
      return said;
    }));
    // A retransmission of the expired hold's request is still a duplicate:
    // the stored answer, nothing applied again.
    const Fields again = c.roundtrip(old_hold);
    EXPECT_EQ(again.at(39), "00");
    EXPECT_EQ(open_holds(sw, "u0"), 2000);
    client.reset();  // closed first: the switch's stop does not linger for it
    ASSERT_EQ(sw.stop(), "");
  }
  EXPECT_EQ(count_of(count_records(dir), ledger::event_format::type_hold_expired), 1u);
  {
    // No sweeps now: the release comes back from the log alone.
    RunningSwitch sw(config, 1000);
    EXPECT_EQ(open_holds(sw, "u0"), 2000);
  }
  std::filesystem::remove_all(dir);
}

// A switch stopped for days: the holds that expired while it was down are
// released during start-up, before it accepts a connection, not a sweep
// interval (here an hour) later.
TEST(SwitchHoldExpiry, HoldsThatExpiredWhileTheSwitchWasDownAreReleasedBeforeItAccepts) {
  const auto dir = temp_dir("holds-down");
  const io::Config config = test_config(dir, io::Durability::sync);
  const core::TimeMs now = io::realtime_ms();
  {
    RunningSwitch sw(config, 1000);  // no sweeps: both holds stay open
    {
      Client c(sw.port());
      Fields old_hold = auth_request(0, 1000, 1);
      old_hold[7] = field7_at(now - 8 * core::ms_per_day);
      Fields recent = auth_request(0, 2000, 2);
      recent[7] = field7_at(now - 6 * core::ms_per_day);
      ASSERT_EQ(c.roundtrip(old_hold).at(39), "00");
      ASSERT_EQ(c.roundtrip(recent).at(39), "00");
    }
    ASSERT_EQ(open_holds(sw, "u0"), 3000);
    ASSERT_EQ(sw.stop(), "");
  }
  {
    RunningSwitch sw(config, 1000, /*hold_sweep_interval_ms=*/3'600'000);
    EXPECT_EQ(open_holds(sw, "u0"), 2000);  // start() has returned: released already
    bool said = false;
    for (const std::string& line : sw.lines()) said |= line.rfind("holds: 1 expired after 7 days", 0) == 0;
    EXPECT_TRUE(said);
    ASSERT_EQ(sw.stop(), "");
  }
  EXPECT_EQ(count_of(count_records(dir), ledger::event_format::type_hold_expired), 1u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace authswitch::test
