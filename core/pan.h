// A PAN as the core keeps it: its digits as one integer plus the digit count
// (leading zeros matter). 19 digits (the ISO maximum) stay below 2^64.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace authswitch::core {

inline constexpr std::size_t pan_digits_max = 19;
inline constexpr std::size_t pan_digits_min = 12;

struct Pan {
  std::uint64_t value = 0;
  std::uint8_t digits = 0;  // 0: no PAN
  friend bool operator==(const Pan&, const Pan&) = default;
};

// nullopt unless 12..19 ASCII digits.
[[nodiscard]] inline std::optional<Pan> parse_pan(std::string_view s) noexcept {
  if (s.size() < pan_digits_min || s.size() > pan_digits_max) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return Pan{v, static_cast<std::uint8_t>(s.size())};
}

// The digits back, zero padded to the digit count.
[[nodiscard]] inline std::string pan_digits(const Pan& p) {
  std::string s(p.digits, '0');
  std::uint64_t v = p.value;
  for (std::size_t i = p.digits; i-- > 0;) {
    s[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return s;
}

// First 6 and last 4 digits, the rest '*': the only form a PAN may take in a
// log line, an event or an error message (SPEC 7).
[[nodiscard]] inline std::string mask_pan(const Pan& p) {
  std::string s = pan_digits(p);
  for (std::size_t i = 6; i + 4 < s.size(); ++i) s[i] = '*';
  return s;
}

}  // namespace authswitch::core
