// The switch's `timezone` (SPEC 4): an IANA name, with its daylight-saving
// rules from the system tzdata (Howard Hinnant's date/tz.h; g++ 12 has no
// std::chrono zones), or a fixed offset such as "+09:00".
//
// Used only off the hot path: when a limit's window slides (once a period) and
// to print period bounds for the HTTP API.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <date/date.h>

#include "core/time_ms.h"

namespace date {
class time_zone;
}

namespace authswitch::core {

using LocalMinutes = date::local_time<std::chrono::minutes>;

class Zone {
 public:
  // UTC.
  Zone() = default;

  // "Asia/Tokyo", "UTC", "+09:00", "-05:30", "Z". On failure returns nullopt
  // and says why in *error.
  [[nodiscard]] static std::optional<Zone> parse(std::string_view text, std::string* error);

  // Local wall-clock minute holding t (seconds and milliseconds dropped).
  [[nodiscard]] LocalMinutes to_local(TimeMs t) const;
  // The instant a local time names. A local time skipped by a spring-forward
  // gap maps to the instant of the change (the period starts when the clock
  // jumps); one repeated by a fall-back maps to its first occurrence.
  [[nodiscard]] TimeMs to_sys(LocalMinutes local) const;
  // UTC offset in effect at t, in minutes (for RFC 3339 output).
  [[nodiscard]] int offset_minutes(TimeMs t) const;

  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  const date::time_zone* tz_ = nullptr;  // null: fixed offset
  std::chrono::minutes offset_{0};
  std::string name_ = "UTC";
};

// "2026-11-23T00:00:00+09:00" (the HTTP API's form, SPEC 6).
[[nodiscard]] std::string format_rfc3339(TimeMs t, const Zone& zone);

}  // namespace authswitch::core
