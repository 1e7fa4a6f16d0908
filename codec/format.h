// ISO 8583 message layout and the vocabulary every codec file shares.
//
// A message on the wire (frame header first when the link frames it):
//
//   +-------+------+---------------+-------------------+------------------------+
//   | frame | MTI  | primary       | secondary bitmap  | fields 2..128, in      |
//   | len2/ | 4    | bitmap        | (only when bit 1  | ascending order, each  |
//   | ascii4| digit| 64 bits       | of the primary is | [length prefix] content|
//   |       |      |               | set)              |                        |
//   +-------+------+---------------+-------------------+------------------------+
//
//   bitmap bit k (1 = most significant bit of the first byte) set <=> field k
//   is present; bit 1 announces the secondary bitmap (fields 65..128).
//
//   encodings (per dialect):      ascii        bcd             binary / hex
//     MTI                         4 bytes      2 bytes         -
//     bitmap (each)               -            -               8 bytes / 16 hex chars
//     LL / LLL / LLLL prefix      2 / 3 / 4    1 / 2 / 2       1 / 2 / 2 bytes (big-endian)
//     content of n digits         n bytes      (n+1)/2 bytes   -
//
// Lengths are counted in the field's own units: digits for n and z, characters
// for a, an, ans, bytes for b. Odd BCD digit counts carry one pad nibble: 0 on
// the left for n, F on the right for z (track 2 custom).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/constants.h"

namespace authswitch::codec {

// Field 0 is the MTI, field 1 the secondary bitmap; data fields are 2..128.
inline constexpr int field_slots = constants::iso_field_count + 1;
inline constexpr int first_data_field = 2;
inline constexpr int last_data_field = constants::iso_field_count;
inline constexpr std::size_t mti_digits = 4;
inline constexpr std::size_t bitmap_bytes = 8;

enum class ContentType : std::uint8_t { n, a, an, ans, b, z };
enum class LengthType : std::uint8_t { fixed, llvar, lllvar, llllvar };
enum class PrefixEncoding : std::uint8_t { ascii, bcd, binary };
enum class ContentEncoding : std::uint8_t { ascii, bcd, ebcdic, binary };
// Pack fills a short fixed-length value up to its length with pad_char on
// this side; `none` refuses a short value. Unpack never strips padding: the
// text is exactly what was on the wire.
enum class Padding : std::uint8_t { none, left, right };
enum class MtiEncoding : std::uint8_t { ascii, bcd };
enum class BitmapEncoding : std::uint8_t { binary, hex_ascii };
// `when_needed` writes the secondary bitmap only when a field above 64 is
// present; `always` writes it (all zero if need be) in every message.
enum class SecondaryBitmap : std::uint8_t { when_needed, always };

struct FieldSpec {
  bool defined = false;  // a field the dialect does not define cannot be sent or received
  ContentType type = ContentType::ans;
  LengthType length_type = LengthType::fixed;
  std::uint16_t max_length = 0;  // the fixed length, or the variable maximum, in field units
  PrefixEncoding prefix = PrefixEncoding::ascii;
  ContentEncoding encoding = ContentEncoding::ascii;
  Padding padding = Padding::none;
  char pad_char = ' ';

  friend bool operator==(const FieldSpec&, const FieldSpec&) = default;
};

// Number of length digits a variable field's prefix states (0 for fixed).
[[nodiscard]] constexpr int prefix_digits(LengthType t) noexcept {
  switch (t) {
    case LengthType::fixed: return 0;
    case LengthType::llvar: return 2;
    case LengthType::lllvar: return 3;
    case LengthType::llllvar: return 4;
  }
  return 0;
}

// Bytes the length prefix takes on the wire.
[[nodiscard]] constexpr int prefix_bytes(LengthType t, PrefixEncoding e) noexcept {
  const int digits = prefix_digits(t);
  if (digits == 0) return 0;
  switch (e) {
    case PrefixEncoding::ascii: return digits;
    case PrefixEncoding::bcd: return (digits + 1) / 2;
    case PrefixEncoding::binary: return digits == 2 ? 1 : 2;
  }
  return 0;
}

// Bytes `length` field units take on the wire.
[[nodiscard]] constexpr std::size_t content_bytes(ContentEncoding e, std::size_t length) noexcept {
  return e == ContentEncoding::bcd ? (length + 1) / 2 : length;
}

// The largest length a prefix of this type can state.
[[nodiscard]] constexpr int max_length_for(LengthType t) noexcept {
  switch (t) {
    case LengthType::fixed: return static_cast<int>(constants::iso_field_length_max);
    case LengthType::llvar: return 99;
    case LengthType::lllvar: return 999;
    case LengthType::llllvar: return 9999;
  }
  return 0;
}

static_assert(prefix_bytes(LengthType::lllvar, PrefixEncoding::bcd) == 2);
static_assert(prefix_bytes(LengthType::llvar, PrefixEncoding::binary) == 1);
static_assert(content_bytes(ContentEncoding::bcd, 19) == 10);

}  // namespace authswitch::codec
