#include "codec/unpack.h"

#include <cstdint>
#include <cstring>

#include "codec/scan.h"
#include "codec/set_fields.h"

namespace authswitch::codec {

namespace {

constexpr CodecError fail(ErrorCode code, int field, std::size_t offset) noexcept {
  return {code, static_cast<std::int16_t>(field), static_cast<std::uint32_t>(offset)};
}

// Reads a bitmap word at p (8 binary bytes or 16 hex characters).
bool read_bitmap(BitmapEncoding e, const unsigned char* p, std::uint64_t& word, std::size_t& bad_at) noexcept {
  if (e == BitmapEncoding::binary) {
    std::uint64_t w;
    std::memcpy(&w, p, sizeof w);
    word = __builtin_bswap64(w);
    return true;
  }
  std::uint64_t w = 0;
  for (std::size_t i = 0; i < 2 * bitmap_bytes; ++i) {
    const int v = hex_digit_value(p[i]);
    if (v < 0) {
      bad_at = i;
      return false;
    }
    w = (w << 4) | static_cast<std::uint64_t>(v);
  }
  word = w;
  return true;
}

}  // namespace

CodecError unpack(const Dialect& dialect, std::span<const std::byte> message, MessageView& view) noexcept {
  const auto* const data = reinterpret_cast<const unsigned char*>(message.data());
  const std::size_t size = message.size();
  if (size > constants::iso_message_bytes_max) return fail(ErrorCode::message_too_large, no_field, 0);
  view.base_ = reinterpret_cast<const char*>(data);
  view.size_ = static_cast<std::uint32_t>(size);
  view.primary_ = 0;
  view.secondary_ = 0;
  view.content_faults_ = {};
  view.located_end_ = 0;

  // MTI.
  std::size_t pos = 0;
  if (dialect.mti_encoding == MtiEncoding::ascii) {
    if (size < mti_digits) return fail(ErrorCode::truncated_mti, 0, size);
    for (std::size_t i = 0; i < mti_digits; ++i) {
      if (!is_ascii_digit(data[i])) return fail(ErrorCode::bad_mti, 0, i);
      view.mti_[i] = static_cast<char>(data[i]);
    }
    pos = mti_digits;
  } else {
    if (size < mti_digits / 2) return fail(ErrorCode::truncated_mti, 0, size);
    for (std::size_t i = 0; i < mti_digits; ++i) {
      const unsigned nib = (i % 2 == 0) ? data[i / 2] >> 4 : data[i / 2] & 0x0f;
      if (nib > 9) return fail(ErrorCode::bad_mti, 0, i / 2);
      view.mti_[i] = static_cast<char>('0' + nib);
    }
    pos = mti_digits / 2;
  }

  // Bitmaps.
  const std::size_t bitmap_wire = dialect.bitmap_encoding == BitmapEncoding::binary ? bitmap_bytes : 2 * bitmap_bytes;
  std::size_t bad_at = 0;
  if (size - pos < bitmap_wire) return fail(ErrorCode::truncated_bitmap, 1, size);
  if (!read_bitmap(dialect.bitmap_encoding, data + pos, view.primary_, bad_at)) {
    return fail(ErrorCode::bad_bitmap, 1, pos + bad_at);
  }
  pos += bitmap_wire;
  if (view.primary_ >> 63) {
    if (size - pos < bitmap_wire) return fail(ErrorCode::truncated_bitmap, 1, size);
    if (!read_bitmap(dialect.bitmap_encoding, data + pos, view.secondary_, bad_at)) {
      return fail(ErrorCode::bad_bitmap, 1, pos + bad_at);
    }
    pos += bitmap_wire;
  }

  // Fields, in ascending order: walk the set bits of each word. The first
  // fault is the one returned; past a bad character the fields are still
  // located (MessageView::readable_after_error), up to a fault of structure.
  CodecError first{};
  const auto stop = [&](CodecError structural, int field) noexcept {
    view.located_end_ = field;
    return first.ok() ? structural : first;
  };
  for (const int field : SetFields{SetFields::data_word(view.primary_), view.secondary_}) {
    const FieldCodec& c = dialect.codec(field);
    const FieldSpec& spec = c.spec;
    if (!spec.defined) return stop(fail(ErrorCode::unknown_field, field, pos), field);
    if (pos == size) return stop(fail(ErrorCode::missing_field, field, pos), field);

    std::size_t length = spec.max_length;
    if (c.prefix_bytes != 0) {
      if (size - pos < c.prefix_bytes) return stop(fail(ErrorCode::truncated_field, field, pos), field);
      const int stated = read_length_prefix(spec.prefix, data + pos, c.prefix_bytes);
      if (stated < 0) return stop(fail(ErrorCode::bad_length_digits, field, pos), field);
      if (static_cast<std::size_t>(stated) > spec.max_length) {
        return stop(fail(ErrorCode::length_above_max, field, pos), field);
      }
      length = static_cast<std::size_t>(stated);
      pos += c.prefix_bytes;
    }
    const std::size_t wire = content_bytes(spec.encoding, length);
    if (size - pos < wire) return stop(fail(ErrorCode::truncated_field, field, pos), field);
    if (c.check != ContentCheck::none) {
      const std::size_t bad = c.check == ContentCheck::ascii_digits ? first_non_digit(data + pos, length)
                                                                    : find_bad_content(spec, data + pos, length);
      if (bad != content_ok) {
        if (first.ok()) first = fail(ErrorCode::bad_content, field, pos + bad);
        view.content_faults_[field <= 64 ? 0 : 1] |= std::uint64_t{1} << ((field - 1) & 63);
      }
    }

    view.slots_[static_cast<std::size_t>(field)] = {static_cast<std::uint16_t>(pos), static_cast<std::uint16_t>(length),
                                                    static_cast<std::uint16_t>(wire)};
    pos += wire;
  }
  if (pos != size) return stop(fail(ErrorCode::trailing_bytes, no_field, pos), last_data_field + 1);
  view.located_end_ = last_data_field + 1;
  return first;
}

}  // namespace authswitch::codec
