#include "codec/pack.h"

#include <bit>
#include <cstring>

#include "codec/scan.h"
#include "codec/set_fields.h"
#include "codec/text.h"

namespace authswitch::codec {

namespace {

PackResult fail(ErrorCode code, int field, std::size_t offset) noexcept {
  return {{code, static_cast<std::int16_t>(field), static_cast<std::uint32_t>(offset)}, 0};
}

// A fixed field's text with its padding, without building it anywhere.
struct PaddedText {
  std::string_view value;
  std::size_t pad_left;
  std::size_t pad_right;
  char pad_char;

  [[nodiscard]] std::size_t size() const noexcept { return pad_left + value.size() + pad_right; }
  [[nodiscard]] char operator[](std::size_t i) const noexcept {
    if (i < pad_left) return pad_char;
    i -= pad_left;
    return i < value.size() ? value[i] : pad_char;
  }
};

unsigned char text_nibble(char c) noexcept {
  return (c == '=' || c == 'D') ? 0xD : static_cast<unsigned char>(c - '0');
}

void write_prefix(PrefixEncoding e, int bytes, std::size_t length, unsigned char* out) noexcept {
  switch (e) {
    case PrefixEncoding::ascii:
      for (int i = bytes - 1; i >= 0; --i) {
        out[i] = static_cast<unsigned char>('0' + length % 10);
        length /= 10;
      }
      return;
    case PrefixEncoding::bcd:
      for (int i = bytes - 1; i >= 0; --i) {
        out[i] = static_cast<unsigned char>(((length / 10 % 10) << 4) | (length % 10));
        length /= 100;
      }
      return;
    case PrefixEncoding::binary:
      for (int i = bytes - 1; i >= 0; --i) {
        out[i] = static_cast<unsigned char>(length & 0xff);
        length >>= 8;
      }
      return;
  }
}

// Copies n bytes without a libc call: most fields are 2 to 16 bytes, where
// a call costs more than the copy. Overlapping 8- or 4-byte moves cover
// every length without touching a byte outside [0, n) of either side.
inline void copy_small(unsigned char* dst, const char* src, std::size_t n) noexcept {
  if (n >= 8) {
    std::uint64_t w;
    for (std::size_t i = 0; i + 8 < n; i += 8) {
      std::memcpy(&w, src + i, 8);
      std::memcpy(dst + i, &w, 8);
    }
    std::memcpy(&w, src + n - 8, 8);
    std::memcpy(dst + n - 8, &w, 8);
  } else if (n >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else {
    for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<unsigned char>(src[i]);
  }
}

void write_content(const FieldSpec& spec, const PaddedText& text, unsigned char* out) noexcept {
  switch (spec.encoding) {
    case ContentEncoding::ascii:
    case ContentEncoding::binary:
      if (text.pad_left == 0 && text.pad_right == 0) {
        copy_small(out, text.value.data(), text.value.size());
        return;
      }
      std::memset(out, text.pad_char, text.pad_left);
      std::memcpy(out + text.pad_left, text.value.data(), text.value.size());
      std::memset(out + text.pad_left + text.value.size(), text.pad_char, text.pad_right);
      return;
    case ContentEncoding::ebcdic:
      for (std::size_t i = 0; i < text.size(); ++i) out[i] = latin1_to_ebcdic[static_cast<unsigned char>(text[i])];
      return;
    case ContentEncoding::bcd: {
      // Odd counts: n takes a leading 0 nibble, z a trailing F.
      const std::size_t digits = text.size();
      const bool odd = digits % 2 == 1;
      const bool lead = odd && spec.type == ContentType::n;
      const std::size_t nibbles = (digits + 1) / 2 * 2;
      for (std::size_t i = 0; i < nibbles; ++i) {
        unsigned char v;
        if (lead) {
          v = i == 0 ? 0 : text_nibble(text[i - 1]);
        } else {
          v = i < digits ? text_nibble(text[i]) : 0xF;
        }
        if (i % 2 == 0) {
          out[i / 2] = static_cast<unsigned char>(v << 4);
        } else {
          out[i / 2] = static_cast<unsigned char>(out[i / 2] | v);
        }
      }
      return;
    }
  }
}

// Index of the first character the field's type refuses in text form.
std::size_t find_bad_text(const FieldSpec& spec, std::string_view value) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(value.data());
  if (spec.type == ContentType::n) return first_non_digit(p, value.size());
  if (spec.type == ContentType::z) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (!is_track_char(p[i])) return i;
    }
  }
  return content_ok;
}

void write_bitmap(BitmapEncoding e, std::uint64_t word, unsigned char* out) noexcept {
  if (e == BitmapEncoding::binary) {
    const std::uint64_t be = __builtin_bswap64(word);
    std::memcpy(out, &be, sizeof be);
    return;
  }
  static constexpr char digits[] = "0123456789ABCDEF";
  for (int i = 15; i >= 0; --i) {
    out[i] = static_cast<unsigned char>(digits[word & 0xf]);
    word >>= 4;
  }
}

}  // namespace

PackResult pack(const Dialect& dialect, const FieldValues& values, std::span<std::byte> out,
                const PackOptions& options) noexcept {
  auto* const o = reinterpret_cast<unsigned char*>(out.data());
  const std::size_t cap = out.size();
  const std::size_t header = frame_header_bytes(options.framing);
  if (cap < header) return fail(ErrorCode::buffer_too_small, no_field, 0);
  std::size_t pos = header;

  // MTI.
  const std::string_view mti = values.mti();
  if (mti.size() != mti_digits || first_non_digit(reinterpret_cast<const unsigned char*>(mti.data()), mti.size()) != content_ok) {
    return fail(ErrorCode::bad_mti, 0, pos);
  }
  if (dialect.mti_encoding == MtiEncoding::ascii) {
    if (cap - pos < mti_digits) return fail(ErrorCode::buffer_too_small, 0, pos);
    std::memcpy(o + pos, mti.data(), mti_digits);
    pos += mti_digits;
  } else {
    if (cap - pos < mti_digits / 2) return fail(ErrorCode::buffer_too_small, 0, pos);
    o[pos] = static_cast<unsigned char>(((mti[0] - '0') << 4) | (mti[1] - '0'));
    o[pos + 1] = static_cast<unsigned char>(((mti[2] - '0') << 4) | (mti[3] - '0'));
    pos += mti_digits / 2;
  }

  // Bitmaps.
  const SecondaryBitmap policy = options.secondary_bitmap.value_or(dialect.secondary_bitmap);
  std::uint64_t words[2] = {values.primary_fields(), values.secondary_fields()};
  const bool secondary = words[1] != 0 || policy == SecondaryBitmap::always;
  if (secondary) words[0] |= std::uint64_t{1} << 63;
  const std::size_t bitmap_wire = dialect.bitmap_encoding == BitmapEncoding::binary ? bitmap_bytes : 2 * bitmap_bytes;
  const std::size_t bitmaps = secondary ? 2 : 1;
  if (cap - pos < bitmaps * bitmap_wire) return fail(ErrorCode::buffer_too_small, 1, pos);
  write_bitmap(dialect.bitmap_encoding, words[0], o + pos);
  pos += bitmap_wire;
  if (secondary) {
    write_bitmap(dialect.bitmap_encoding, words[1], o + pos);
    pos += bitmap_wire;
  }

  // Fields, ascending.
  for (const int field : SetFields{SetFields::data_word(words[0]), words[1]}) {
    const FieldCodec& c = dialect.codec(field);
    const FieldSpec& spec = c.spec;
    const std::string_view value = values.get_present(field);
    // Fast path: the value goes on the wire as it is, behind an ASCII
    // length if variable. Short fixed values (padding) take the general path.
    if (c.text_is_wire && (c.prefix_bytes != 0 || value.size() == spec.max_length)) [[likely]] {
      const std::size_t len = value.size();
      if (len > spec.max_length) return fail(ErrorCode::length_above_max, field, pos);
      if (c.check == ContentCheck::ascii_digits) {
        if (first_non_digit(reinterpret_cast<const unsigned char*>(value.data()), len) != content_ok) {
          return fail(ErrorCode::bad_content, field, pos);
        }
      } else if (c.check != ContentCheck::none && find_bad_text(spec, value) != content_ok) {
        return fail(ErrorCode::bad_content, field, pos);
      }
      if (cap - pos < c.prefix_bytes + len) return fail(ErrorCode::buffer_too_small, field, pos);
      unsigned char* p = o + pos;
      switch (c.prefix_bytes) {
        case 4:
          *p++ = static_cast<unsigned char>('0' + len / 1000);
          [[fallthrough]];
        case 3:
          *p++ = static_cast<unsigned char>('0' + len / 100 % 10);
          [[fallthrough]];
        case 2:
          *p++ = static_cast<unsigned char>('0' + len / 10 % 10);
          *p++ = static_cast<unsigned char>('0' + len % 10);
          break;
        default:
          break;
      }
      copy_small(p, value.data(), len);
      pos = static_cast<std::size_t>(p - o) + len;
      continue;
    }
    if (!spec.defined) return fail(ErrorCode::unknown_field, field, pos);
    if (value.size() > spec.max_length) return fail(ErrorCode::length_above_max, field, pos);
    PaddedText text{value, 0, 0, spec.pad_char};
    if (spec.length_type == LengthType::fixed && value.size() < spec.max_length) {
      if (spec.padding == Padding::none) return fail(ErrorCode::wrong_length, field, pos);
      (spec.padding == Padding::left ? text.pad_left : text.pad_right) = spec.max_length - value.size();
    }
    if (find_bad_text(spec, value) != content_ok) return fail(ErrorCode::bad_content, field, pos);
    const std::size_t wire = content_bytes(spec.encoding, text.size());
    if (cap - pos < c.prefix_bytes + wire) return fail(ErrorCode::buffer_too_small, field, pos);
    if (c.prefix_bytes != 0) {
      write_prefix(spec.prefix, c.prefix_bytes, value.size(), o + pos);
      pos += c.prefix_bytes;
    }
    write_content(spec, text, o + pos);
    pos += wire;
  }

  const std::size_t body = pos - header;
  if (body > constants::iso_message_bytes_max || body > frame_body_max(options.framing)) {
    return fail(ErrorCode::message_too_large, no_field, header);
  }
  if (header != 0) write_frame_header(options.framing, body, out.data());
  return {{}, pos};
}

}  // namespace authswitch::codec
