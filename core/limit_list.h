// A user's or company's list of limits (SPEC 4, 5), fixed size: it is what the
// loader, set_limits and the limits-set event carry.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <simdjson.h>

#include "core/constants.h"
#include "core/period.h"

namespace authswitch::core {

struct LimitList {
  std::array<Limit, constants::limits_per_owner_max> items{};
  std::uint8_t count = 0;
  friend bool operator==(const LimitList&, const LimitList&) = default;
};

// The limit rules set_limits and the loader share: at most one `transaction`
// limit, at most period_limits_per_owner_max period limits, no two period
// limits with the same period and anchors, max >= 0. Empty string when valid.
[[nodiscard]] std::string validate_limit_list(const LimitList& list);

// Parses `[{"period":"daily","max":200000,"reset_time":"04:00"}, ...]`.
// On failure returns false with "field: reason" in *error.
[[nodiscard]] bool parse_limit_list(simdjson::ondemand::value value, LimitList* out, std::string* error);

}  // namespace authswitch::core
