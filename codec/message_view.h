// A parsed message that copies nothing: the MTI, the bitmaps and, per field,
// where its content sits in the caller's buffer (SPEC 1; STYLE: a view over
// memory the caller owns). Fixed arrays, no heap; field access is one load.
//
// Lifetime: the view points into the buffer given to unpack(); it is valid
// while that buffer is, and only after unpack() returned ok. Reusing one view
// for the next message is the intended use (nothing needs clearing).
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "codec/error.h"
#include "codec/format.h"
#include "codec/set_fields.h"
#include "core/assert.h"

namespace authswitch::codec {

class Dialect;
class MessageView;

// Parses one message body (no frame header) into `view` (codec/unpack.h).
[[nodiscard]] CodecError unpack(const Dialect& dialect, std::span<const std::byte> message, MessageView& view) noexcept;

class MessageView {
 public:
  // The MTI as 4 ASCII digits, whatever its wire encoding.
  [[nodiscard]] std::string_view mti() const noexcept { return {mti_.data(), mti_.size()}; }

  // Field 2..128 present? (has(1): a secondary bitmap was sent.)
  [[nodiscard]] bool has(int field) const noexcept {
    AS_ASSERT(field >= 1 && field <= last_data_field);
    const std::uint64_t word = field <= 64 ? primary_ : secondary_;
    return (word >> (63 - ((field - 1) & 63))) & 1u;
  }

  // The field's content bytes as on the wire, without the length prefix; for
  // ASCII and binary content encodings that is the field's text (field_text()
  // in codec/text.h converts the others). Empty when absent.
  [[nodiscard]] std::string_view wire(int field) const noexcept {
    if (!has(field)) return {};
    const Slot s = slots_[static_cast<std::size_t>(field)];
    return {base_ + s.offset, s.wire_bytes};
  }

  // wire() for a field known to be present (e.g. from for_each_field).
  [[nodiscard]] std::string_view wire_present(int field) const noexcept {
    const Slot s = slots_[static_cast<std::size_t>(field)];
    return {base_ + s.offset, s.wire_bytes};
  }

  // The field's length in its own units (digits for n/z, characters, bytes
  // for b): what the length prefix said, or the fixed length.
  [[nodiscard]] std::size_t length(int field) const noexcept {
    return has(field) ? slots_[static_cast<std::size_t>(field)].length : 0;
  }

  // Byte offset of the field's content within the message (after its prefix).
  [[nodiscard]] std::size_t offset(int field) const noexcept { return slots_[static_cast<std::size_t>(field)].offset; }

  // Bitmap words as on the wire: bit 63 of primary is field 1.
  [[nodiscard]] std::uint64_t primary_bitmap() const noexcept { return primary_; }
  [[nodiscard]] std::uint64_t secondary_bitmap() const noexcept { return secondary_; }

  // The whole message given to unpack().
  [[nodiscard]] std::string_view message() const noexcept { return {base_, size_}; }

  // Calls fn(field) for each present data field, in ascending order.
  template <class Fn>
  void for_each_field(Fn&& fn) const {
    for (const int field : SetFields{SetFields::data_word(primary_), secondary_}) fn(field);
  }

  // After an unpack error: is present field `field` still readable? A bad
  // character (bad_content) breaks nothing around it, so unpack locates the
  // fields past it until a fault of structure (length, truncation, unknown
  // field) stops it; only the fields with bad characters are unreadable. The
  // switch answers 30 with the request's STAN this way even when the bad
  // character comes before field 11 (SPEC 9).
  [[nodiscard]] bool readable_after_error(int field) const noexcept {
    if (!has(field) || field >= located_end_) return false;
    const std::uint64_t word = field <= 64 ? content_faults_[0] : content_faults_[1];
    return ((word >> ((field - 1) & 63)) & 1u) == 0;
  }

 private:
  friend CodecError unpack(const Dialect&, std::span<const std::byte>, MessageView&) noexcept;

  struct Slot {
    std::uint16_t offset;
    std::uint16_t length;
    std::uint16_t wire_bytes;
  };

  const char* base_ = nullptr;
  std::uint32_t size_ = 0;
  std::array<char, mti_digits> mti_{};
  std::uint64_t primary_ = 0;
  std::uint64_t secondary_ = 0;
  std::array<Slot, field_slots> slots_{};
  std::array<std::uint64_t, 2> content_faults_{};  // bit (field - 1) % 64 of fields 1-64, 65-128
  int located_end_ = 0;  // fields below it were located (129: all)
};

}  // namespace authswitch::codec
