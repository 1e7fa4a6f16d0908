// Periods (SPEC 4): table cases at the boundaries that matter, then seeded
// property tests over random times in several zones.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include <date/tz.h>

#include "core/limit_slot.h"
#include "core/period.h"

namespace authswitch::core {
namespace {

Zone zone(const char* name) {
  std::string err;
  auto z = Zone::parse(name, &err);
  EXPECT_TRUE(z) << err;
  return z ? *z : Zone{};
}

// Parses "2026-03-08T02:30:00.000Z" style UTC instants.
TimeMs utc(const char* text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
  EXPECT_EQ(std::sscanf(text, "%d-%d-%dT%d:%d:%d.%dZ", &y, &mo, &d, &h, &mi, &s, &ms), 7) << text;
  const date::sys_days day{date::year{y} / mo / d};
  return (day.time_since_epoch().count() * 86'400 + h * 3600 + mi * 60 + s) * 1000LL + ms;
}

LimitSpec daily(std::uint16_t reset = 0) { return {PeriodKind::daily, 1, 1, reset}; }
LimitSpec weekly(std::uint8_t wd, std::uint16_t reset = 0) { return {PeriodKind::weekly, wd, 1, reset}; }
LimitSpec monthly(std::uint8_t day, std::uint16_t reset = 0) { return {PeriodKind::monthly, 1, day, reset}; }

struct WindowCase {
  const char* name;
  const char* zone;
  LimitSpec spec;
  const char* t;
  const char* start;
  const char* end;
};

class PeriodWindowTest : public ::testing::TestWithParam<WindowCase> {};

TEST_P(PeriodWindowTest, HoldsTheTime) {
  const WindowCase& c = GetParam();
  const PeriodWindow w = period_window(c.spec, zone(c.zone), utc(c.t));
  EXPECT_EQ(w.start, utc(c.start)) << format_rfc3339(w.start, zone(c.zone));
  EXPECT_EQ(w.end, utc(c.end)) << format_rfc3339(w.end, zone(c.zone));
}

INSTANTIATE_TEST_SUITE_P(
    Boundaries, PeriodWindowTest,
    ::testing::Values(
        // Tokyo (+09:00, no DST): a day starts at 15:00Z the day before.
        WindowCase{"tokyo_noon", "Asia/Tokyo", daily(), "2026-11-23T03:00:00.000Z", "2026-11-22T15:00:00.000Z", "2026-11-23T15:00:00.000Z"},
        WindowCase{"tokyo_last_ms_of_day", "Asia/Tokyo", daily(), "2026-11-23T14:59:59.999Z", "2026-11-22T15:00:00.000Z", "2026-11-23T15:00:00.000Z"},
        WindowCase{"tokyo_midnight", "Asia/Tokyo", daily(), "2026-11-23T15:00:00.000Z", "2026-11-23T15:00:00.000Z", "2026-11-24T15:00:00.000Z"},
        WindowCase{"fixed_offset_same_as_tokyo", "+09:00", daily(), "2026-11-23T14:59:59.999Z", "2026-11-22T15:00:00.000Z", "2026-11-23T15:00:00.000Z"},
        WindowCase{"negative_half_hour_offset", "-05:30", daily(), "2026-11-23T05:29:59.999Z", "2026-11-22T05:30:00.000Z", "2026-11-23T05:30:00.000Z"},
        WindowCase{"reset_0400_before", "Asia/Tokyo", daily(240), "2026-11-23T18:59:59.999Z", "2026-11-22T19:00:00.000Z", "2026-11-23T19:00:00.000Z"},
        WindowCase{"reset_0400_at", "Asia/Tokyo", daily(240), "2026-11-23T19:00:00.000Z", "2026-11-23T19:00:00.000Z", "2026-11-24T19:00:00.000Z"},
        // New York: 2026-03-08 is 23 hours long, 2026-11-01 is 25.
        WindowCase{"ny_spring_forward_day", "America/New_York", daily(), "2026-03-08T12:00:00.000Z", "2026-03-08T05:00:00.000Z", "2026-03-09T04:00:00.000Z"},
        WindowCase{"ny_fall_back_day", "America/New_York", daily(), "2026-11-01T12:00:00.000Z", "2026-11-01T04:00:00.000Z", "2026-11-02T05:00:00.000Z"},
        // A reset at 02:30 that does not exist on the spring-forward day starts
        // the period when the clock jumps (03:00 EDT = 07:00Z).
        WindowCase{"ny_reset_in_gap", "America/New_York", daily(150), "2026-03-08T12:00:00.000Z", "2026-03-08T07:00:00.000Z", "2026-03-09T06:30:00.000Z"},
        // A reset at 01:30 that happens twice on the fall-back day: the first.
        WindowCase{"ny_reset_repeated", "America/New_York", daily(90), "2026-11-01T12:00:00.000Z", "2026-11-01T05:30:00.000Z", "2026-11-02T06:30:00.000Z"},
        WindowCase{"london_spring_forward", "Europe/London", daily(), "2026-03-29T12:00:00.000Z", "2026-03-29T00:00:00.000Z", "2026-03-29T23:00:00.000Z"},
        WindowCase{"london_fall_back", "Europe/London", daily(), "2026-10-25T12:00:00.000Z", "2026-10-24T23:00:00.000Z", "2026-10-26T00:00:00.000Z"},
        // Weekly: 2026-11-23 is a Monday.
        WindowCase{"weekly_monday", "UTC", weekly(1), "2026-11-25T10:00:00.000Z", "2026-11-23T00:00:00.000Z", "2026-11-30T00:00:00.000Z"},
        WindowCase{"weekly_wednesday_before", "UTC", weekly(3), "2026-11-24T10:00:00.000Z", "2026-11-18T00:00:00.000Z", "2026-11-25T00:00:00.000Z"},
        WindowCase{"weekly_sunday_reset", "UTC", weekly(7, 600), "2026-11-29T09:59:59.999Z", "2026-11-22T10:00:00.000Z", "2026-11-29T10:00:00.000Z"},
        // Monthly anchors, month ends, leap days.
        WindowCase{"monthly_first", "UTC", monthly(1), "2026-11-30T23:59:59.999Z", "2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z"},
        WindowCase{"monthly_20th_before", "UTC", monthly(20), "2026-11-19T23:59:59.999Z", "2026-10-20T00:00:00.000Z", "2026-11-20T00:00:00.000Z"},
        WindowCase{"monthly_20th_at", "UTC", monthly(20), "2026-11-20T00:00:00.000Z", "2026-11-20T00:00:00.000Z", "2026-12-20T00:00:00.000Z"},
        WindowCase{"monthly_20th_year_end", "UTC", monthly(20), "2027-01-05T00:00:00.000Z", "2026-12-20T00:00:00.000Z", "2027-01-20T00:00:00.000Z"},
        WindowCase{"monthly_28th_on_31st", "UTC", monthly(28), "2026-01-31T12:00:00.000Z", "2026-01-28T00:00:00.000Z", "2026-02-28T00:00:00.000Z"},
        WindowCase{"monthly_last_leap_feb", "UTC", monthly(anchor_day_last), "2028-03-10T00:00:00.000Z", "2028-02-29T00:00:00.000Z", "2028-03-31T00:00:00.000Z"},
        WindowCase{"monthly_last_on_leap_day", "UTC", monthly(anchor_day_last), "2028-02-29T00:00:00.000Z", "2028-02-29T00:00:00.000Z", "2028-03-31T00:00:00.000Z"},
        WindowCase{"monthly_last_before_leap_day", "UTC", monthly(anchor_day_last), "2028-02-28T23:59:59.999Z", "2028-01-31T00:00:00.000Z", "2028-02-29T00:00:00.000Z"},
        WindowCase{"monthly_last_30th", "UTC", monthly(anchor_day_last), "2026-04-30T00:00:00.000Z", "2026-04-30T00:00:00.000Z", "2026-05-31T00:00:00.000Z"},
        WindowCase{"monthly_reset_tokyo", "Asia/Tokyo", monthly(1, 120), "2026-11-30T16:59:59.999Z", "2026-10-31T17:00:00.000Z", "2026-11-30T17:00:00.000Z"}),
    [](const ::testing::TestParamInfo<WindowCase>& i) { return std::string(i.param.name); });

TEST(PeriodWindow, TotalNeverResets) {
  const PeriodWindow w = period_window({PeriodKind::total, 1, 1, 0}, Zone{}, utc("2026-11-23T00:00:00.000Z"));
  EXPECT_EQ(w.start, time_ms_min);
  EXPECT_EQ(w.end, time_ms_max);
}

TEST(Zone, RejectsUnknownNamesAndBadOffsets) {
  std::string err;
  EXPECT_FALSE(Zone::parse("Mars/Olympus", &err));
  EXPECT_NE(err.find("Mars/Olympus"), std::string::npos);
  EXPECT_FALSE(Zone::parse("+9:00", &err));
  EXPECT_FALSE(Zone::parse("+15:00", &err));
}

TEST(Zone, FormatsRfc3339InTheZone) {
  EXPECT_EQ(format_rfc3339(utc("2026-11-22T15:00:00.000Z"), zone("Asia/Tokyo")), "2026-11-23T00:00:00+09:00");
  EXPECT_EQ(format_rfc3339(utc("2026-11-01T04:00:00.000Z"), zone("America/New_York")), "2026-11-01T00:00:00-04:00");
}

// ---- properties over random times ---------------------------------------

struct PropertyCase {
  const char* zone;
  LimitSpec spec;
};

class PeriodProperty : public ::testing::TestWithParam<PropertyCase> {};

TEST_P(PeriodProperty, WindowsTileTimeAndStartAtTheReset) {
  const PropertyCase& c = GetParam();
  const Zone z = zone(c.zone);
  std::mt19937_64 rng(20261123 + static_cast<unsigned>(c.spec.kind) * 7 + c.spec.reset_minutes);
  const TimeMs from = utc("2024-01-01T00:00:00.000Z"), to = utc("2030-12-31T00:00:00.000Z");
  std::uniform_int_distribution<TimeMs> any(from, to);
  for (int i = 0; i < 3000; ++i) {
    // Half the samples land within a second of a boundary, where bugs live.
    TimeMs t = any(rng);
    if (i % 2 == 1) {
      const PeriodWindow w0 = period_window(c.spec, z, t);
      t = w0.end + std::uniform_int_distribution<TimeMs>(-1000, 1000)(rng);
    }
    const PeriodWindow w = period_window(c.spec, z, t);
    ASSERT_LE(w.start, t);
    ASSERT_LT(t, w.end);
    // Contiguous: the next period starts where this one ends, and every
    // instant of the period maps back to it.
    const PeriodWindow after = period_window(c.spec, z, w.end);
    ASSERT_EQ(after.start, w.end);
    ASSERT_EQ(after.end, w.next_end);
    ASSERT_EQ(period_window(c.spec, z, w.end - 1).start, w.start);
    ASSERT_EQ(period_window(c.spec, z, w.start).start, w.start);
    // The start is the reset time on the anchor date (or the instant the
    // clock jumped over it).
    const LocalMinutes local = z.to_local(w.start);
    const auto day = date::floor<date::days>(local);
    const auto minutes = (local - day).count();
    if (minutes != c.spec.reset_minutes) {
      // Only a DST gap moves it, and then forward by the gap (<= 1 h).
      ASSERT_GT(minutes, c.spec.reset_minutes);
      ASSERT_LE(minutes - c.spec.reset_minutes, 60);
    }
    const date::year_month_day ymd{day};
    if (c.spec.kind == PeriodKind::weekly) {
      ASSERT_EQ(date::weekday{day}.iso_encoding(), c.spec.anchor_weekday);
    }
    if (c.spec.kind == PeriodKind::monthly) {
      if (c.spec.anchor_day == anchor_day_last) {
        ASSERT_EQ(ymd.day(), (ymd.year() / ymd.month() / date::last).day());
      } else {
        ASSERT_EQ(static_cast<unsigned>(ymd.day()), c.spec.anchor_day);
      }
    }
    const auto length_h = (w.end - w.start) / 3'600'000;
    if (c.spec.kind == PeriodKind::daily) {
      ASSERT_TRUE(length_h >= 23 && length_h <= 25) << length_h;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Zones, PeriodProperty,
    ::testing::Values(PropertyCase{"America/New_York", daily()}, PropertyCase{"America/New_York", daily(150)},
                      PropertyCase{"America/New_York", daily(90)}, PropertyCase{"Europe/London", daily(60)},
                      PropertyCase{"Europe/London", weekly(7)}, PropertyCase{"Asia/Tokyo", daily(240)},
                      PropertyCase{"Asia/Tokyo", monthly(20)}, PropertyCase{"America/New_York", monthly(anchor_day_last)},
                      PropertyCase{"Europe/London", monthly(28, 90)}, PropertyCase{"+09:00", weekly(3, 1439)},
                      PropertyCase{"-03:30", monthly(1)}, PropertyCase{"UTC", monthly(anchor_day_last, 30)}));

// ---- slots: which period a time counts in ------------------------------

class SlotTest : public ::testing::Test {
 protected:
  Zone tokyo = zone("Asia/Tokyo");
  LimitSlot slot;
  void SetUp() override { slot.spec = pack_spec(daily()); slot.max = 1000; }
  void add(const char* t, std::int64_t amount) {
    const TimeMs tm = utc(t);
    slot_add_at(slot, tokyo, tm, period_start_at(slot, tokyo, tm), amount);
  }
};

TEST_F(SlotTest, LastMillisecondCountsInItsDayMidnightInTheNext) {
  add("2026-11-23T14:59:59.999Z", 10);  // 23:59:59.999 Tokyo
  add("2026-11-23T15:00:00.000Z", 20);  // 00:00:00.000 the next day: counts in next
  const SlotView v = read_slot(slot);
  EXPECT_EQ(v.current_start, utc("2026-11-22T15:00:00.000Z"));
  EXPECT_EQ(v.current_total, 10);
  EXPECT_EQ(v.next_total, 20);
  // A request received at 23:59:59.999 but decided now still counts in its day.
  add("2026-11-23T14:59:59.999Z", 5);
  EXPECT_EQ(read_slot(slot).current_total, 15);
}

TEST_F(SlotTest, PastTheNextPeriodSlidesByOneKeepingTheNextTotal) {
  add("2026-11-23T03:00:00.000Z", 10);
  add("2026-11-24T03:00:00.000Z", 20);  // next
  add("2026-11-25T03:00:00.000Z", 30);  // past next: next becomes current
  const SlotView v = read_slot(slot);
  EXPECT_EQ(v.current_start, utc("2026-11-23T15:00:00.000Z"));
  EXPECT_EQ(v.current_total, 20);
  EXPECT_EQ(v.next_total, 30);
}

TEST_F(SlotTest, FarFutureStartsAFreshWindowAndThePastCountsInCurrent) {
  add("2026-11-23T03:00:00.000Z", 10);
  add("2026-12-25T03:00:00.000Z", 7);
  EXPECT_EQ(read_slot(slot).current_total, 7);
  EXPECT_EQ(read_slot(slot).next_total, 0);
  // Before the current period: counted in the current one (never reopened).
  EXPECT_EQ(total_at(slot, utc("2026-11-23T03:00:00.000Z")), 7);
  add("2026-11-23T03:00:00.000Z", 1);
  EXPECT_EQ(read_slot(slot).current_total, 8);
}

TEST_F(SlotTest, AdjustChangesCurrentOrNextButNeverAPastPeriod) {
  add("2026-11-23T03:00:00.000Z", 10);
  const TimeMs day1 = read_slot(slot).current_start;
  EXPECT_TRUE(slot_adjust(slot, day1, -4));
  EXPECT_EQ(read_slot(slot).current_total, 6);
  add("2026-11-26T03:00:00.000Z", 1);
  EXPECT_FALSE(slot_adjust(slot, day1, -6));
  EXPECT_EQ(read_slot(slot).current_total, 1);
}

TEST_F(SlotTest, TotalAtAFutureTimeIsZeroWithoutSliding) {
  add("2026-11-23T03:00:00.000Z", 10);
  EXPECT_EQ(total_at(slot, utc("2026-11-23T15:00:00.000Z")), 0);
  EXPECT_EQ(total_at(slot, utc("2026-11-27T15:00:00.000Z")), 0);
  EXPECT_EQ(read_slot(slot).current_total, 10);
}

}  // namespace
}  // namespace authswitch::core
