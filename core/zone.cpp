#include "core/zone.h"

#include <cstdio>
#include <exception>

#include <date/tz.h>

namespace authswitch::core {

namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

bool two_digits(std::string_view s, std::size_t at, int* out) {
  if (at + 2 > s.size()) return false;
  const char a = s[at], b = s[at + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return false;
  *out = (a - '0') * 10 + (b - '0');
  return true;
}

// "+HH:MM" or "-HH:MM".
std::optional<minutes> parse_offset(std::string_view s) {
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return std::nullopt;
  int h = 0, m = 0;
  if (!two_digits(s, 1, &h) || !two_digits(s, 4, &m) || h > 14 || m > 59) return std::nullopt;
  const minutes off{h * 60 + m};
  return s[0] == '-' ? -off : off;
}

}  // namespace

std::optional<Zone> Zone::parse(std::string_view text, std::string* error) {
  Zone z;
  if (text == "Z" || text == "UTC" || text == "+00:00") return z;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    auto off = parse_offset(text);
    if (!off) {
      *error = "timezone: offset must be +HH:MM or -HH:MM";
      return std::nullopt;
    }
    z.offset_ = *off;
    z.name_ = std::string(text);
    return z;
  }
  try {
    z.tz_ = date::locate_zone(text);
  } catch (const std::exception&) {
    *error = "timezone: unknown IANA zone '" + std::string(text) + "'";
    return std::nullopt;
  }
  z.name_ = std::string(text);
  return z;
}

LocalMinutes Zone::to_local(TimeMs t) const {
  const date::sys_time<milliseconds> sys{milliseconds{t}};
  const auto sys_min = date::floor<minutes>(sys);
  if (tz_ == nullptr) return LocalMinutes{sys_min.time_since_epoch() + offset_};
  return date::floor<minutes>(tz_->to_local(sys));
}

TimeMs Zone::to_sys(LocalMinutes local) const {
  if (tz_ == nullptr) return std::chrono::duration_cast<milliseconds>((local.time_since_epoch() - offset_)).count();
  const auto sys = tz_->to_sys(local, date::choose::earliest);
  return std::chrono::duration_cast<milliseconds>(sys.time_since_epoch()).count();
}

int Zone::offset_minutes(TimeMs t) const {
  if (tz_ == nullptr) return static_cast<int>(offset_.count());
  const auto info = tz_->get_info(date::sys_time<milliseconds>{milliseconds{t}});
  return static_cast<int>(std::chrono::duration_cast<minutes>(info.offset).count());
}

std::string format_rfc3339(TimeMs t, const Zone& zone) {
  if (t <= time_ms_min) return "-infinity";
  if (t >= time_ms_max) return "infinity";
  const int off = zone.offset_minutes(t);
  const date::sys_time<milliseconds> sys{milliseconds{t}};
  const auto local = date::floor<std::chrono::seconds>(sys) + minutes{off};
  const auto day = date::floor<date::days>(local);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<std::chrono::seconds> hms{local - day};
  const int abs_off = off < 0 ? -off : off;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d%c%02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()), off < 0 ? '-' : '+', abs_off / 60, abs_off % 60);
  return buf;
}

}  // namespace authswitch::core
