// PAN masking for logs, records and screens (SPEC 7: first 6, last 4).
//
// Lives in ledger/ because the log is the first place that needs it; the core
// and the io layer use the same helper. Allocation-free.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace authswitch::ledger {

inline constexpr std::size_t pan_digits_max = 19;  // ISO 8583 field 2 is n..19
// A PAN shorter than this shows no digit at all: first 6 + last 4 would leave
// fewer than one hidden digit.
inline constexpr std::size_t pan_mask_length_min = 11;

struct MaskedPan {
  std::array<char, pan_digits_max> chars{};
  std::size_t length = 0;
  [[nodiscard]] std::string_view view() const noexcept { return {chars.data(), length}; }
};

// "4000001234567899" -> "400000******7899". Input longer than 19 characters
// is cut to 19 first (it is not a PAN, but must still not leak).
[[nodiscard]] inline MaskedPan mask_pan(std::string_view pan) noexcept {
  MaskedPan out;
  out.length = pan.size() < pan_digits_max ? pan.size() : pan_digits_max;
  for (std::size_t i = 0; i < out.length; ++i) {
    const bool shown = out.length >= pan_mask_length_min && (i < 6 || i >= out.length - 4);
    out.chars[i] = shown ? pan[i] : '*';
  }
  return out;
}

}  // namespace authswitch::ledger
