// A field's text form versus its wire form, for the encodings where they
// differ (bcd, ebcdic), and hex for b fields and captured traffic. Every
// function writes into a caller's buffer; none allocates.
//
// Text form: n as ASCII digits; z as ASCII digits with `D` as the separator
// (pack also takes `=`); a/an/ans as Latin-1 characters; b as raw bytes.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "codec/dialect.h"
#include "codec/message_view.h"

namespace authswitch::codec {

// Code page 037, a bijection on bytes (ebcdic.cpp).
extern const std::array<unsigned char, 256> ebcdic_to_latin1;
extern const std::array<unsigned char, 256> latin1_to_ebcdic;

// The text of a present field: the wire bytes themselves for ascii and binary
// content (no copy, `out` unused), else decoded into `out`, which must hold
// view.length(field) characters (constants::iso_field_length_max always does).
[[nodiscard]] std::string_view field_text(const Dialect& dialect, const MessageView& view, int field,
                                          std::span<char> out) noexcept;

// field_text() for a caller whose `out` is sized for what it reads (a STAN,
// a code): nothing when the field is absent or longer than `out`. A
// field-spec dialect may allow any field more room than ISO 8583:1987 does,
// and a peer's long value must not decode past `out`.
[[nodiscard]] std::optional<std::string_view> field_text_within(const Dialect& dialect, const MessageView& view,
                                                                int field, std::span<char> out) noexcept;

// Unpacks `digits` BCD digits from `in` ((digits + 1) / 2 bytes) into `out`.
// An odd count skips the pad nibble: the first for n, the last for z. Nibble
// 0xD reads as 'D'. The caller has validated the nibbles (unpack does).
void bcd_to_text(const unsigned char* in, std::size_t digits, ContentType type, char* out) noexcept;

// Lower-case hex of `bytes` (as the shared vectors write it) into `out` (2 characters a byte); returns the text.
[[nodiscard]] std::string_view hex_encode(std::string_view bytes, std::span<char> out) noexcept;
// Bytes of `hex` (either case, even length) into `out`; nullopt on a bad
// character, an odd length or a short `out`.
[[nodiscard]] std::optional<std::size_t> hex_decode(std::string_view hex, std::span<char> out) noexcept;

}  // namespace authswitch::codec
