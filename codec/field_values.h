// The fields of a message to pack, as text, indexed by field number: a view
// per field, so a response echoes its request's fields by pointing at the
// request's bytes (MessageView::wire) instead of copying them. No heap.
//
// Lifetime: the caller keeps every viewed buffer alive until pack() returns.
// Values are the fields' text form (codec/text.h); for the ascii content
// encoding that equals the wire bytes a MessageView returns.
#pragma once

#include <bit>
#include <cstdint>
#include <string_view>

#include "codec/field_set.h"
#include "codec/format.h"
#include "codec/message_view.h"
#include "core/assert.h"

namespace authswitch::codec {

class FieldValues {
 public:
  // The MTI, 4 ASCII digits (checked by pack).
  void set_mti(std::string_view mti) noexcept { mti_ = mti; }
  [[nodiscard]] std::string_view mti() const noexcept { return mti_; }

  // Data fields 2..128. An empty value is present and empty (LLVAR "00").
  void set(int field, std::string_view text) noexcept {
    AS_ASSERT(field >= first_data_field && field <= last_data_field);
    values_[static_cast<std::size_t>(field)] = {text.data(), text.size()};
    word(field) |= bit(field);
  }
  void clear(int field) noexcept {
    AS_ASSERT(field >= first_data_field && field <= last_data_field);
    word(field) &= ~bit(field);
  }
  void clear_all() noexcept { present_[0] = present_[1] = 0; }

  [[nodiscard]] bool has(int field) const noexcept {
    AS_ASSERT(field >= 1 && field <= last_data_field);
    return (present_[field <= 64 ? 0 : 1] & bit(field)) != 0;
  }
  [[nodiscard]] std::string_view get(int field) const noexcept {
    if (!has(field)) return {};
    const Text& t = values_[static_cast<std::size_t>(field)];
    return {t.data, t.size};
  }

  // The value of a field known to be present (pack walks the presence bits).
  [[nodiscard]] std::string_view get_present(int field) const noexcept {
    const Text& t = values_[static_cast<std::size_t>(field)];
    return {t.data, t.size};
  }

  // Sets every field of `fields` that `request` carries to the request's
  // wire bytes (a view, no copy): a response echoing its request (SPEC 2).
  // Wire bytes are the text only for ascii and binary content; echo bcd or
  // ebcdic fields with set(f, field_text(...)) instead.
  void echo(const MessageView& request, const FieldSet& fields) noexcept {
    const std::uint64_t primary = SetFields::data_word(request.primary_bitmap()) & fields.words[0];
    const std::uint64_t secondary = request.secondary_bitmap() & fields.words[1];
    present_[0] |= primary;
    present_[1] |= secondary;
    for (const int field : SetFields{primary, secondary}) {
      const std::string_view v = request.wire_present(field);
      values_[static_cast<std::size_t>(field)] = {v.data(), v.size()};
    }
  }

  // Presence words in bitmap order (bit 63 of [0] is field 1, never set here).
  [[nodiscard]] std::uint64_t primary_fields() const noexcept { return present_[0]; }
  [[nodiscard]] std::uint64_t secondary_fields() const noexcept { return present_[1]; }

 private:
  static constexpr std::uint64_t bit(int field) noexcept { return std::uint64_t{1} << (63 - ((field - 1) & 63)); }
  std::uint64_t& word(int field) noexcept { return present_[field <= 64 ? 0 : 1]; }

  // Deliberately left uninitialised: a response is built per request, and
  // zeroing 129 views (2 KiB) would cost more than packing it. Only slots
  // whose presence bit is set are ever read, and set() writes them first.
  struct Text {
    const char* data;
    std::size_t size;
  };
  Text values_[field_slots];
  std::string_view mti_{};
  std::uint64_t present_[2] = {0, 0};
};

}  // namespace authswitch::codec
