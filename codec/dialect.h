// A dialect: how each of fields 2..128 is laid out, and how the MTI and the
// bitmaps are encoded (SPEC 1). Built once (at start-up, from the built-in
// table or a field-spec file) and then only read, from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "codec/format.h"

namespace authswitch::codec {

// What pack and unpack read per field: the spec plus what follows from it,
// computed once so the per-field loop does no arithmetic on enums.
// Which content check a field needs, decided once: most fields need none
// (a, an, ans, b) or the ASCII digit check (n), which then inlines.
enum class ContentCheck : std::uint8_t { none, ascii_digits, general };

struct FieldCodec {
  FieldSpec spec;
  std::uint8_t prefix_bytes = 0;
  ContentCheck check = ContentCheck::none;
  // Text equals wire bytes (ascii or binary content, ascii or no prefix):
  // pack copies the value as it is, the common case of iso87-ascii.
  bool text_is_wire = false;
};

class Dialect {
 public:
  // An empty dialect: no field defined, ASCII MTI, binary bitmap.
  Dialect() = default;

  // `iso87-ascii`, every field of the 1987 dictionary (iso87_ascii.cpp).
  [[nodiscard]] static const Dialect& iso87_ascii() noexcept;

  // Defines a data field (2..128). Returns why the spec is inconsistent
  // (e.g. "b fields need the binary content encoding"), or an empty view.
  [[nodiscard]] std::string_view define(int field, const FieldSpec& spec) noexcept;

  [[nodiscard]] const FieldSpec& field(int field) const noexcept;
  // Hot path: `field` comes from a bitmap bit, so it is 2..128 by construction.
  [[nodiscard]] const FieldCodec& codec(int field) const noexcept { return codecs_[static_cast<std::size_t>(field)]; }

  [[nodiscard]] std::string_view name() const noexcept { return name_; }
  void set_name(std::string_view name) { name_ = name; }

  MtiEncoding mti_encoding = MtiEncoding::ascii;
  BitmapEncoding bitmap_encoding = BitmapEncoding::binary;
  SecondaryBitmap secondary_bitmap = SecondaryBitmap::when_needed;

  // Same wire format (the name is not part of it).
  friend bool operator==(const Dialect& a, const Dialect& b) noexcept;

 private:
  std::array<FieldCodec, field_slots> codecs_{};
  std::string name_;
};

// Why a field spec cannot be spoken, or an empty view when it can.
[[nodiscard]] std::string_view check_field_spec(const FieldSpec& spec) noexcept;

}  // namespace authswitch::codec
