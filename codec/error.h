// What went wrong with a message, and where: a value, never an exception.
//
// Every malformed input yields one of these with the field at fault and the
// byte offset into the message (unpack) or into the output (pack); the io
// layer answers 30 or drops the message from it, the tool prints it. Cheap
// to return: 8 bytes, no string built until someone asks for one.
#pragma once

#include <cstdint>
#include <string_view>

namespace authswitch::codec {

enum class ErrorCode : std::uint8_t {
  ok = 0,
  // unpack
  truncated_mti,       // fewer bytes than the MTI needs
  bad_mti,             // the MTI is not 4 decimal digits
  truncated_bitmap,    // the message ends inside a bitmap
  bad_bitmap,          // a hex-ascii bitmap holds a non-hex character
  missing_field,       // the bitmap announces a field but the message has ended
  truncated_field,     // the message ends inside a field (its prefix or content)
  bad_length_digits,   // a length prefix is not decimal (ascii/bcd) digits
  length_above_max,    // a length above the field's maximum
  bad_content,         // a character not allowed by the field's type (n: digits; z: digits, =, D)
  unknown_field,       // the field is not defined in the dialect
  trailing_bytes,      // bytes left after the last announced field
  message_too_large,   // a message longer than constants::iso_message_bytes_max
  // pack
  wrong_length,        // a fixed field's value is shorter than its length and the field has no padding
  buffer_too_small,    // the output buffer cannot hold the message
  // frames
  truncated_frame,     // fewer bytes than the frame header or its stated length
  bad_frame_length,    // an ascii4 header that is not 4 digits
  frame_out_of_step,   // a frame length of 0 or above max_message_bytes (SPEC 9)
};

// Message-level errors (trailing bytes, frames) name no field.
inline constexpr std::int16_t no_field = -1;

struct [[nodiscard]] CodecError {
  ErrorCode code = ErrorCode::ok;
  std::int16_t field = no_field;  // 0 = MTI, 1 = bitmap, 2..128 = data field
  std::uint32_t offset = 0;       // byte offset where the fault was found

  [[nodiscard]] constexpr bool ok() const noexcept { return code == ErrorCode::ok; }
  friend constexpr bool operator==(const CodecError&, const CodecError&) = default;
};

// A short lower-case phrase for logs and the tool ("non-digit in n field").
[[nodiscard]] std::string_view describe(ErrorCode code) noexcept;
// The enumerator's name ("bad_content"), for tests and metrics labels.
[[nodiscard]] std::string_view name(ErrorCode code) noexcept;

}  // namespace authswitch::codec
