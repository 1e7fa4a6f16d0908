// Pack: a message from per-field text into the caller's buffer, framed or
// not. Called on the io threads' hot path to write responses: no heap, no
// locks, one pass over the fields present.
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "codec/dialect.h"
#include "codec/error.h"
#include "codec/field_values.h"
#include "codec/frame.h"

namespace authswitch::codec {

struct PackOptions {
  Framing framing = Framing::none;
  // Overrides the dialect's secondary bitmap policy when set.
  std::optional<SecondaryBitmap> secondary_bitmap;
};

struct [[nodiscard]] PackResult {
  CodecError error;
  std::size_t size = 0;  // bytes written, frame header included; 0 on error
};

// Errors name the field and the output offset where that field (its length
// prefix, if any) starts: bad_mti, unknown_field, length_above_max,
// wrong_length (short fixed value, no padding), bad_content (a non-digit in
// n, a character other than digits, = and D in z), buffer_too_small,
// message_too_large (the body does not fit the frame). On error the bytes of
// `out` are unspecified.
[[nodiscard]] PackResult pack(const Dialect& dialect, const FieldValues& values, std::span<std::byte> out,
                              const PackOptions& options = {}) noexcept;

}  // namespace authswitch::codec
