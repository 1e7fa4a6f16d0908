// Unpack: one message body (no frame header) into a MessageView, zero-copy.
//
// Called on the io threads' hot path: no heap, no locks, work proportional
// to the fields present. Any malformed input returns an error naming the
// field and byte offset; nothing is read outside `message`.
#pragma once

#include <span>
#include <string_view>

#include "codec/dialect.h"
#include "codec/error.h"
#include "codec/message_view.h"

namespace authswitch::codec {

// (Declared in message_view.h, the view's friend.)
// CodecError unpack(const Dialect&, std::span<const std::byte> message, MessageView&) noexcept;

[[nodiscard]] inline CodecError unpack(const Dialect& dialect, std::string_view message, MessageView& view) noexcept {
  return unpack(dialect, std::as_bytes(std::span(message.data(), message.size())), view);
}

}  // namespace authswitch::codec
