// Response codes (field 39) and decline reasons (field 44) of SPEC 3.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/period.h"

namespace authswitch::core {

enum class ResponseCode : std::uint8_t {
  approved = 0,            // 00
  do_not_honour,           // 05 (REVERSED, currency without billing amount)
  invalid_transaction,     // 12 (processing code or MTI not served)
  invalid_amount,          // 13
  no_such_card,            // 14
  original_not_found,      // 25 (reversal)
  format_error,            // 30
  lost_card,               // 41
  stolen_card,             // 43
  insufficient_funds,      // 51
  expired_card,            // 54
  exceeds_limit,           // 61
  blocked_card,            // 62
  system_unavailable,      // 91 (not decided in time, overloaded, table full; never stored)
  duplicate_transmission,  // 94
  system_error,            // 96 (internal fault; never stored)
};
inline constexpr int response_code_count = 16;

// Two ASCII digits.
[[nodiscard]] std::string_view response_code_text(ResponseCode rc) noexcept;
// Whether a retry of the same request may be answered differently (SPEC 0:
// every error tells the caller whether retrying can help).
[[nodiscard]] constexpr bool is_retryable(ResponseCode rc) noexcept {
  return rc == ResponseCode::system_unavailable || rc == ResponseCode::system_error;
}

enum class LimitOwner : std::uint8_t { user = 0, company = 1 };

// Field 44. Limit reasons are `USER:` or `COMPANY:` and the period's name.
struct Reason {
  enum class Kind : std::uint8_t { none = 0, reversed, original_not_found, limit };
  Kind kind = Kind::none;
  LimitOwner owner = LimitOwner::user;
  PeriodKind period = PeriodKind::transaction;

  static constexpr Reason limit(LimitOwner o, PeriodKind p) noexcept { return {Kind::limit, o, p}; }
  friend bool operator==(const Reason&, const Reason&) = default;
};

// "", "REVERSED", "ORIGINAL NOT FOUND", "USER:DAILY", "COMPANY:MONTHLY", ...
[[nodiscard]] std::string_view reason_text(const Reason& r) noexcept;

// Compact form for stored answers and events.
[[nodiscard]] constexpr std::uint8_t encode_reason(const Reason& r) noexcept {
  return static_cast<std::uint8_t>(static_cast<unsigned>(r.kind) | static_cast<unsigned>(r.owner) << 2 |
                                   static_cast<unsigned>(r.period) << 3);
}
[[nodiscard]] constexpr Reason decode_reason(std::uint8_t b) noexcept {
  return Reason{static_cast<Reason::Kind>(b & 3u), static_cast<LimitOwner>((b >> 2) & 1u),
                static_cast<PeriodKind>(b >> 3)};
}

}  // namespace authswitch::core
