// Reading a JSON integer field (money in minor units, a limit's max, an
// anchor) so that a refusal can say which of two things is wrong: the value
// is not an integer at all (a fraction, an exponent, a string), or it is an
// integer that does not fit in 64 bits. simdjson reports both as the same
// "incorrect type"; the number's own text tells them apart.
#pragma once

#include <cstdint>
#include <string_view>

#include <simdjson.h>

namespace authswitch::core {

enum class IntRead : std::uint8_t { ok, not_integer, out_of_range };

// The reason for a count of minor units beyond int64 (balance, max, amount).
// The number itself is left out of the message: a 19-digit value there could
// be a PAN typed into the wrong field, and no log line holds a full PAN.
inline constexpr std::string_view minor_units_out_of_range =
    "out of range for a count of minor units (signed 64 bits)";

// Is `t` a JSON integer literal, -?(0|[1-9][0-9]*), of any length?
[[nodiscard]] inline bool integer_literal(std::string_view t) noexcept {
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t' || t.back() == '\r' || t.back() == '\n')) {
    t.remove_suffix(1);  // the raw token runs to the next structural character
  }
  if (!t.empty() && t.front() == '-') t.remove_prefix(1);
  if (t.empty() || (t.front() == '0' && t.size() > 1)) return false;
  for (const char c : t) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// *out is set only on ok.
[[nodiscard]] inline IntRead read_int64(simdjson::ondemand::value v, std::int64_t* out) noexcept {
  const std::string_view token = v.raw_json_token();  // before get_int64: a read never moves it
  std::int64_t value = 0;
  if (v.get_int64().get(value) == simdjson::SUCCESS) {
    *out = value;
    return IntRead::ok;
  }
  return integer_literal(token) ? IntRead::out_of_range : IntRead::not_integer;
}

}  // namespace authswitch::core
