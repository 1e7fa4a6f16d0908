// Time as the core sees it: integer milliseconds since the Unix epoch, UTC.
//
// The core has no clock of its own: every operation takes the transaction
// time from its caller (the receive time, or field 7 with "clock": "message",
// SPEC 4), so that a replay of the log decides nothing differently.
#pragma once

#include <cstdint>
#include <limits>

namespace authswitch::core {

using TimeMs = std::int64_t;

// Open ends of the `total` period (it never resets) and of a slot that has
// never been used; far enough from any real time that no arithmetic on a real
// time reaches them.
inline constexpr TimeMs time_ms_min = std::numeric_limits<TimeMs>::min() / 4;
inline constexpr TimeMs time_ms_max = std::numeric_limits<TimeMs>::max() / 4;

inline constexpr TimeMs ms_per_minute = 60'000;
inline constexpr TimeMs ms_per_day = 86'400'000;

}  // namespace authswitch::core
