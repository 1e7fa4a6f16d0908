// Byte-level checks shared by unpack and pack. Header-only: they sit in the
// per-field loop and must inline there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include "codec/format.h"

namespace authswitch::codec {

inline constexpr std::size_t content_ok = std::numeric_limits<std::size_t>::max();

[[nodiscard]] inline bool is_ascii_digit(unsigned char c) noexcept { return static_cast<unsigned>(c - '0') <= 9; }

[[nodiscard]] inline int hex_digit_value(unsigned char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// True when the 8 (or 4) bytes at p are all ASCII digits. A digit is
// 0x30..0x39: its high nibble is 3, and adding 6 leaves it 3; the add cannot
// carry across bytes once every high nibble is 3.
[[nodiscard]] inline bool digits8(const unsigned char* p) noexcept {
  constexpr std::uint64_t high = 0xF0F0F0F0F0F0F0F0u;
  constexpr std::uint64_t threes = 0x3030303030303030u;
  std::uint64_t x;
  std::memcpy(&x, p, sizeof x);
  return ((x & high) | ((x + 0x0606060606060606u) & high)) == threes;
}
[[nodiscard]] inline bool digits4(const unsigned char* p) noexcept {
  std::uint32_t x;
  std::memcpy(&x, p, sizeof x);
  return ((x & 0xF0F0F0F0u) | ((x + 0x06060606u) & 0xF0F0F0F0u)) == 0x30303030u;
}

// Index of the first byte that is not an ASCII digit, or content_ok. Checks
// whole words (the last one overlapping), and only walks bytes to find the
// index once a word failed.
[[nodiscard]] inline std::size_t first_non_digit(const unsigned char* p, std::size_t n) noexcept {
  bool ok;
  if (n >= 8) {
    ok = true;
    for (std::size_t i = 0; i + 8 < n; i += 8) ok &= digits8(p + i);
    ok &= digits8(p + n - 8);
  } else if (n >= 4) {
    ok = digits4(p) && digits4(p + n - 4);
  } else {
    ok = true;
    for (std::size_t i = 0; i < n; ++i) ok &= is_ascii_digit(p[i]);
  }
  if (ok) return content_ok;
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_ascii_digit(p[i])) return i;
  }
  return content_ok;
}

[[nodiscard]] inline bool is_track_char(unsigned char c) noexcept { return is_ascii_digit(c) || c == '=' || c == 'D'; }

// Index of the first byte of `length` field units at p that the field's type
// does not allow, or content_ok. a/an/ans are not checked: hosts put spaces
// and punctuation in them freely, and the switch only echoes them.
[[nodiscard]] inline std::size_t find_bad_content(const FieldSpec& spec, const unsigned char* p,
                                                  std::size_t length) noexcept {
  const bool n = spec.type == ContentType::n;
  if (!n && spec.type != ContentType::z) return content_ok;
  switch (spec.encoding) {
    case ContentEncoding::ascii:
      if (n) return first_non_digit(p, length);
      for (std::size_t i = 0; i < length; ++i) {
        if (!is_track_char(p[i])) return i;
      }
      return content_ok;
    case ContentEncoding::ebcdic:
      for (std::size_t i = 0; i < length; ++i) {
        const unsigned char c = p[i];
        const bool digit = c >= 0xF0 && c <= 0xF9;
        if (!digit && (n || (c != 0x7E && c != 0xC4))) return i;  // 0x7E '=', 0xC4 'D'
      }
      return content_ok;
    case ContentEncoding::bcd: {
      // n pads an odd count with a leading 0 nibble, z with a trailing F.
      const std::size_t nibbles = (length + 1) / 2 * 2;
      const bool padded = length % 2 == 1;
      for (std::size_t i = 0; i < nibbles; ++i) {
        const unsigned v = (i % 2 == 0) ? p[i / 2] >> 4 : p[i / 2] & 0x0f;
        bool good;
        if (padded && n && i == 0) {
          good = v == 0;
        } else if (padded && !n && i == nibbles - 1) {
          good = v == 0xF;
        } else {
          good = v <= 9 || (!n && v == 0xD);
        }
        if (!good) return i / 2;
      }
      return content_ok;
    }
    case ContentEncoding::binary:
      return content_ok;
  }
  return content_ok;
}

// The length a prefix states, or -1 when it is not digits.
[[nodiscard]] inline int read_length_prefix(PrefixEncoding e, const unsigned char* p, int bytes) noexcept {
  int value = 0;
  switch (e) {
    case PrefixEncoding::ascii:
      for (int i = 0; i < bytes; ++i) {
        if (!is_ascii_digit(p[i])) return -1;
        value = value * 10 + (p[i] - '0');
      }
      return value;
    case PrefixEncoding::bcd:
      for (int i = 0; i < bytes; ++i) {
        const int hi = p[i] >> 4;
        const int lo = p[i] & 0x0f;
        if (hi > 9 || lo > 9) return -1;
        value = value * 100 + hi * 10 + lo;
      }
      return value;
    case PrefixEncoding::binary:
      for (int i = 0; i < bytes; ++i) value = (value << 8) | p[i];
      return value;
  }
  return -1;
}

}  // namespace authswitch::codec
