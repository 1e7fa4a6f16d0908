// The two clocks the switch reads: wall time in the core's milliseconds (a
// request's receive time, hold expiry) and a monotonic clock for latencies.
#pragma once

#include <time.h>

#include <cstdint>

#include "core/time_ms.h"

namespace authswitch::io {

inline std::uint64_t monotonic_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

inline core::TimeMs realtime_ms() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<core::TimeMs>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

}  // namespace authswitch::io
