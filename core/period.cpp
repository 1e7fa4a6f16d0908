#include "core/period.h"

#include <array>
#include <string>

#include "core/assert.h"

namespace authswitch::core {

namespace {

using date::days;
using date::local_days;

// One kind of period, by local dates only; reset time and zone come after.
struct PeriodRule {
  // The date on which the period holding `day` starts.
  local_days (*start_day)(local_days day, const LimitSpec& spec);
  // The start date of the period after the one starting on `start`.
  local_days (*next_day)(local_days start, const LimitSpec& spec);
};

local_days daily_start(local_days day, const LimitSpec&) { return day; }
local_days daily_next(local_days start, const LimitSpec&) { return start + days{1}; }

local_days weekly_start(local_days day, const LimitSpec& spec) {
  // ISO weekday: Monday 1 .. Sunday 7.
  const unsigned today = date::weekday{day}.iso_encoding();
  const unsigned back = (today + 7u - spec.anchor_weekday) % 7u;
  return day - days{back};
}
local_days weekly_next(local_days start, const LimitSpec&) { return start + days{7}; }

local_days anchor_in(date::year_month ym, const LimitSpec& spec) {
  if (spec.anchor_day == anchor_day_last) return local_days{ym / date::last};
  return local_days{ym / date::day{spec.anchor_day}};
}
local_days monthly_start(local_days day, const LimitSpec& spec) {
  const date::year_month_day ymd{day};
  const date::year_month ym{ymd.year(), ymd.month()};
  const local_days anchor = anchor_in(ym, spec);
  return anchor <= day ? anchor : anchor_in(ym - date::months{1}, spec);
}
local_days monthly_next(local_days start, const LimitSpec& spec) {
  const date::year_month_day ymd{start};
  return anchor_in(date::year_month{ymd.year(), ymd.month()} + date::months{1}, spec);
}

// Indexed by PeriodKind; transaction and total have no dated periods.
constexpr std::array<PeriodRule, period_kind_count> rules = {{
    {nullptr, nullptr},
    {daily_start, daily_next},
    {weekly_start, weekly_next},
    {monthly_start, monthly_next},
    {nullptr, nullptr},
}};

constexpr std::array<std::string_view, period_kind_count> names = {"transaction", "daily", "weekly", "monthly",
                                                                    "total"};
constexpr std::array<std::string_view, period_kind_count> names_upper = {"TRANSACTION", "DAILY", "WEEKLY",
                                                                          "MONTHLY", "TOTAL"};

}  // namespace

std::string_view period_name(PeriodKind k) noexcept { return names[static_cast<std::size_t>(k)]; }
std::string_view period_name_upper(PeriodKind k) noexcept { return names_upper[static_cast<std::size_t>(k)]; }

std::optional<PeriodKind> parse_period(std::string_view s) noexcept {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == s) return static_cast<PeriodKind>(i);
  }
  return std::nullopt;
}

namespace {

// The last window computed for a few (spec, zone) pairs, per thread. A window
// is the same for every t inside it, and the zone conversions behind one cost
// ~1,000 instructions (date::time_zone lookups, a string copy of the
// abbreviation); replay and first uses of many slots with one spec ask for
// the same window again and again. Keyed by the zone's address and name, so
// another Zone at a reused address never hits a stale entry.
struct CachedWindow {
  const Zone* zone = nullptr;
  std::string zone_name;
  LimitSpec spec{};
  PeriodWindow w{0, 0, 0};
};
thread_local std::array<CachedWindow, 8> recent_windows;

}  // namespace

PeriodWindow period_window(const LimitSpec& spec, const Zone& zone, TimeMs t) {
  AS_ASSERT(spec.kind != PeriodKind::transaction);
  if (spec.kind == PeriodKind::total) return {time_ms_min, time_ms_max, time_ms_max};
  CachedWindow& cached = recent_windows[(static_cast<std::size_t>(spec.kind) * 5 + spec.anchor_day + spec.anchor_weekday +
                                         spec.reset_minutes) & 7];
  if (cached.zone == &zone && cached.spec == spec && cached.w.start <= t && t < cached.w.end &&
      cached.zone_name == zone.name()) {
    return cached.w;
  }
  const PeriodRule& rule = rules[static_cast<std::size_t>(spec.kind)];
  const std::chrono::minutes reset{spec.reset_minutes};
  const local_days day = date::floor<days>(zone.to_local(t));
  local_days start_day = rule.start_day(day, spec);
  TimeMs start = zone.to_sys(start_day + reset);
  if (start > t) {
    // t is before today's reset: it belongs to the period before.
    start_day = rule.start_day(start_day - days{1}, spec);
    start = zone.to_sys(start_day + reset);
  }
  const local_days end_day = rule.next_day(start_day, spec);
  const PeriodWindow w{start, zone.to_sys(end_day + reset), zone.to_sys(rule.next_day(end_day, spec) + reset)};
  AS_ASSERT(w.start <= t && t < w.end && w.end < w.next_end);
  cached.zone = &zone;
  if (cached.zone_name != zone.name()) cached.zone_name = zone.name();
  cached.spec = spec;
  cached.w = w;
  return w;
}

}  // namespace authswitch::core
