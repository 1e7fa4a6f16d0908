#include "codec/dialect.h"

#include "core/assert.h"

namespace authswitch::codec {

namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_printable(char c) noexcept { return c >= 0x20 && c <= 0x7e; }

}  // namespace

std::string_view check_field_spec(const FieldSpec& spec) noexcept {
  if (!spec.defined) return {};
  if (spec.max_length < 1 || spec.max_length > max_length_for(spec.length_type)) {
    return "max_length must be 1..99 for LLVAR, 1..999 for LLLVAR, 1..9999 for LLLLVAR and fixed";
  }
  if ((spec.type == ContentType::b) != (spec.encoding == ContentEncoding::binary)) {
    return "b fields, and only they, use the binary content encoding";
  }
  if (spec.encoding == ContentEncoding::bcd && spec.type != ContentType::n && spec.type != ContentType::z) {
    return "only n and z fields can be bcd encoded";
  }
  if (spec.padding != Padding::none) {
    if (spec.length_type != LengthType::fixed) return "padding applies to fixed-length fields only";
    if (spec.type == ContentType::b) return "b fields cannot be padded";
    if (!is_printable(spec.pad_char)) return "pad_char must be one printable ASCII character";
    if ((spec.type == ContentType::n || spec.type == ContentType::z) && !is_digit(spec.pad_char)) {
      return "n and z fields pad with a digit";
    }
  }
  return {};
}

std::string_view Dialect::define(int field, const FieldSpec& spec) noexcept {
  AS_ASSERT(field >= first_data_field && field <= last_data_field);
  if (const std::string_view why = check_field_spec(spec); !why.empty()) return why;
  FieldCodec& c = codecs_[static_cast<std::size_t>(field)];
  c.spec = spec;
  c.prefix_bytes = static_cast<std::uint8_t>(prefix_bytes(spec.length_type, spec.prefix));
  const bool numeric = spec.type == ContentType::n || spec.type == ContentType::z;
  c.check = !numeric ? ContentCheck::none
            : (spec.type == ContentType::n && spec.encoding == ContentEncoding::ascii) ? ContentCheck::ascii_digits
                                                                                      : ContentCheck::general;
  c.text_is_wire = (spec.encoding == ContentEncoding::ascii || spec.encoding == ContentEncoding::binary) &&
                   (spec.length_type == LengthType::fixed || spec.prefix == PrefixEncoding::ascii);
  return {};
}

const FieldSpec& Dialect::field(int field) const noexcept {
  AS_ASSERT(field >= 0 && field < field_slots);
  return codecs_[static_cast<std::size_t>(field)].spec;
}

bool operator==(const Dialect& a, const Dialect& b) noexcept {
  if (a.mti_encoding != b.mti_encoding || a.bitmap_encoding != b.bitmap_encoding ||
      a.secondary_bitmap != b.secondary_bitmap) {
    return false;
  }
  for (int f = first_data_field; f <= last_data_field; ++f) {
    if (!(a.field(f) == b.field(f))) return false;
  }
  return true;
}

}  // namespace authswitch::codec
