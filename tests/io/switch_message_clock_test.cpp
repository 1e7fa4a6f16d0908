// SPEC 4: the current period is the one that holds the latest transaction
// time seen. With "clock": "message" that is the latest field 7 decided, not
// the system clock: an operator replaying last month's traffic reads last
// month's totals (SwitchRuntime::presentation_now, which serve gives the
// HTTP API), before and after a restart.
#include <gtest/gtest.h>

#include "io/iso_adapter.h"
#include "io/wall_clock.h"
#include "tests/io/switch_test_support.h"

namespace authswitch::test {
namespace {

// The demo user u0's daily limit as the API would present it.
core::PeriodView daily_of_u0(io::SwitchRuntime& rt) {
  core::Core& core = rt.core();
  const core::OwnerView v = core.read_user(core.find_user("u0"), rt.presentation_now());
  for (std::size_t i = 0; i < v.limit_count; ++i) {
    if (v.limits[i].limit.spec.kind == core::PeriodKind::daily) return v.limits[i].current;
  }
  ADD_FAILURE() << "u0 has no daily limit";
  return {};
}

std::uint32_t field7_number(const std::string& text) { return static_cast<std::uint32_t>(std::stoul(text)); }

TEST(SwitchMessageClock, PeriodsArePresentedAtTheLatestField7DecidedAlsoAfterARestart) {
  const auto dir = temp_dir("message-clock");
  const std::string f7 = field7_days_ago(40);  // a day whose period the system clock has left
  Fields request = auth_request(0, 1000, 1);
  request[7] = f7;
  const std::optional<core::TimeMs> sent_at = io::field7_time_ms(field7_number(f7), io::realtime_ms());
  ASSERT_TRUE(sent_at);
  for (const bool restarted : {false, true}) {
    SCOPED_TRACE(restarted ? "after a restart" : "live");
    RunningSwitch sw(test_config(dir, io::Durability::sync));
    if (!restarted) {
      // Nothing decided yet: the system clock.
      const core::TimeMs before = io::realtime_ms();
      EXPECT_GE(sw.runtime().presentation_now(), before);
      auto c = std::make_unique<Client>(sw.port());
      ASSERT_EQ(c->roundtrip(request).at(39), "00");
      c.reset();  // closed before the stop, which would otherwise linger for it
    }
    EXPECT_EQ(sw.runtime().presentation_now(), *sent_at);
    const core::PeriodView day = daily_of_u0(sw.runtime());
    EXPECT_LE(day.start, *sent_at);
    EXPECT_GT(day.end, *sent_at);
    EXPECT_EQ(day.total, 1000);
    ASSERT_EQ(sw.stop(), "");
  }
  std::filesystem::remove_all(dir);
}

// With the system clock the API presents periods at the system clock,
// whatever field 7 said.
TEST(SwitchMessageClock, TheSystemClockPresentsPeriodsAtTheSystemClock) {
  const auto dir = temp_dir("system-clock");
  io::Config config = test_config(dir, io::Durability::sync);
  config.clock = io::ClockSource::system;
  RunningSwitch sw(config);
  Fields request = auth_request(0, 1000, 1);
  request[7] = field7_days_ago(40);
  {
    Client c(sw.port());
    ASSERT_EQ(c.roundtrip(request).at(39), "00");
  }  // closed before the stop, which would otherwise linger for it
  const core::TimeMs before = io::realtime_ms();
  EXPECT_GE(sw.runtime().presentation_now(), before);
  // Counted at its receive time, today: today's period holds it.
  EXPECT_EQ(daily_of_u0(sw.runtime()).total, 1000);
  ASSERT_EQ(sw.stop(), "");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace authswitch::test
