#include "codec/text.h"

#include "core/assert.h"

namespace authswitch::codec {

namespace {

char nibble_text(unsigned nibble) noexcept { return nibble == 0xD ? 'D' : static_cast<char>('0' + nibble); }

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

void bcd_to_text(const unsigned char* in, std::size_t digits, ContentType type, char* out) noexcept {
  // Left-padded (n) odd counts start at the second nibble of the first byte.
  std::size_t nibble = (digits % 2 == 1 && type != ContentType::z) ? 1 : 0;
  for (std::size_t i = 0; i < digits; ++i, ++nibble) {
    const unsigned byte = in[nibble / 2];
    out[i] = nibble_text(nibble % 2 == 0 ? byte >> 4 : byte & 0x0f);
  }
}

std::optional<std::string_view> field_text_within(const Dialect& dialect, const MessageView& view, int field,
                                                  std::span<char> out) noexcept {
  if (!view.has(field) || view.length(field) > out.size() || view.wire(field).size() > out.size()) return std::nullopt;
  return field_text(dialect, view, field, out);
}

std::string_view field_text(const Dialect& dialect, const MessageView& view, int field,
                            std::span<char> out) noexcept {
  const FieldSpec& spec = dialect.field(field);
  const std::string_view wire = view.wire(field);
  switch (spec.encoding) {
    case ContentEncoding::ascii:
    case ContentEncoding::binary:
      return wire;
    case ContentEncoding::ebcdic:
      AS_ASSERT(out.size() >= wire.size());
      for (std::size_t i = 0; i < wire.size(); ++i) {
        out[i] = static_cast<char>(ebcdic_to_latin1[static_cast<unsigned char>(wire[i])]);
      }
      return {out.data(), wire.size()};
    case ContentEncoding::bcd: {
      const std::size_t digits = view.length(field);
      AS_ASSERT(out.size() >= digits);
      bcd_to_text(reinterpret_cast<const unsigned char*>(wire.data()), digits, spec.type, out.data());
      return {out.data(), digits};
    }
  }
  return wire;
}

std::string_view hex_encode(std::string_view bytes, std::span<char> out) noexcept {
  static constexpr char digits[] = "0123456789abcdef";
  AS_ASSERT(out.size() >= 2 * bytes.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = digits[b >> 4];
    out[2 * i + 1] = digits[b & 0x0f];
  }
  return {out.data(), 2 * bytes.size()};
}

std::optional<std::size_t> hex_decode(std::string_view hex, std::span<char> out) noexcept {
  if (hex.size() % 2 != 0 || out.size() < hex.size() / 2) return std::nullopt;
  for (std::size_t i = 0; i < hex.size() / 2; ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return hex.size() / 2;
}

}  // namespace authswitch::codec
