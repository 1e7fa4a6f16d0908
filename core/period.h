// Limits and their periods (SPEC 4).
//
// A period kind is one row of a table (period.cpp): a function giving the
// local date on which the period holding a given date starts, and one giving
// the start date of the following period. Reset time, time zone and DST are
// handled once, around that table, so a new kind (fortnightly, quarterly,
// ...) is two small functions and a name.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/time_ms.h"
#include "core/zone.h"

namespace authswitch::core {

enum class PeriodKind : std::uint8_t { transaction = 0, daily = 1, weekly = 2, monthly = 3, total = 4 };
inline constexpr int period_kind_count = 5;

[[nodiscard]] std::string_view period_name(PeriodKind k) noexcept;        // "daily"
[[nodiscard]] std::string_view period_name_upper(PeriodKind k) noexcept;  // "DAILY" (field 44)
[[nodiscard]] std::optional<PeriodKind> parse_period(std::string_view s) noexcept;

// What a limit's period is, apart from its maximum. When limits are replaced,
// a limit keeps the totals of the old one with the same spec, else of one
// with the same kind ("keeps the totals", SPEC 4; install_limits).
struct LimitSpec {
  PeriodKind kind = PeriodKind::daily;
  std::uint8_t anchor_weekday = 1;  // weekly: 1 = Monday .. 7 = Sunday
  std::uint8_t anchor_day = 1;      // monthly: 1..28, or 0 for the last day
  std::uint16_t reset_minutes = 0;  // local time of the reset, minutes after 00:00

  friend bool operator==(const LimitSpec&, const LimitSpec&) = default;
};

inline constexpr std::uint8_t anchor_day_last = 0;

struct Limit {
  LimitSpec spec;
  std::int64_t max = 0;  // minor units; a total equal to max still fits
  friend bool operator==(const Limit&, const Limit&) = default;
};

// [start, end) of the period holding t, and the end of the one after it.
// For `total`: [time_ms_min, time_ms_max) and time_ms_max.
struct PeriodWindow {
  TimeMs start;
  TimeMs end;
  TimeMs next_end;
};

// The period of `spec` holding t, computed in `zone`. Not for `transaction`.
[[nodiscard]] PeriodWindow period_window(const LimitSpec& spec, const Zone& zone, TimeMs t);

}  // namespace authswitch::core
