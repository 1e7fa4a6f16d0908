// Frames around messages on a TCP stream (SPEC 1, 9), and the streaming
// de-framer the io layer feeds with whatever each read returned.
//
//   len2:   +--------+--------+----------------+
//           | length (u16 BE) | message bytes  |   length excludes itself
//           +--------+--------+----------------+
//   ascii4: | 4 ASCII digits  | message bytes  |   at most 9999
//   none:   the message alone (one message per datagram or tool line)
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "codec/error.h"

namespace authswitch::codec {

enum class Framing : std::uint8_t { none, len2, ascii4 };

[[nodiscard]] constexpr std::size_t frame_header_bytes(Framing f) noexcept {
  return f == Framing::len2 ? 2 : f == Framing::ascii4 ? 4 : 0;
}
[[nodiscard]] constexpr std::size_t frame_body_max(Framing f) noexcept {
  return f == Framing::ascii4 ? 9999 : 65535;
}

// "len2", "ascii4", "none"; false for anything else.
[[nodiscard]] bool parse_framing(std::string_view text, Framing& out) noexcept;

// Writes the header for a body of `body_bytes` at out (frame_header_bytes(f)
// bytes). The caller has checked body_bytes <= frame_body_max(f).
void write_frame_header(Framing f, std::size_t body_bytes, std::byte* out) noexcept;

struct [[nodiscard]] FrameResult {
  CodecError error;
  std::span<const std::byte> body;  // valid when error.ok()
};

// One whole frame, exactly (the tool's input): its header must state the
// rest of `frame`, no more, no less.
[[nodiscard]] FrameResult unframe(Framing f, std::span<const std::byte> frame) noexcept;

// Cuts a byte stream into message bodies. The buffer is the caller's (the
// io layer preallocates one per connection); nothing is allocated here.
//
//   read(fd, d.writable())  ->  d.commit(n)  ->  while (d.next() gives a body) use it
//
// A body returned by next() stays valid until the next writable() call,
// which moves any partial frame to the front of the buffer. Frames split
// across reads and several frames in one read are both handled. A length of
// 0 or above max_message_bytes is frame_out_of_step (SPEC 9): the stream
// cannot be resynchronised, so every later next() repeats the error.
class Deframer {
 public:
  // `buffer` must hold a header plus max_message_bytes.
  Deframer(Framing framing, std::span<std::byte> buffer, std::size_t max_message_bytes) noexcept;

  // Free space after the bytes already held; empty only if a frame is being
  // assembled that fills the buffer (cannot happen given the size contract).
  [[nodiscard]] std::span<std::byte> writable() noexcept;
  // `bytes` were written at the front of writable().
  void commit(std::size_t bytes) noexcept;

  enum class Status : std::uint8_t { message, need_more, out_of_step };
  struct [[nodiscard]] Next {
    Status status;
    std::span<const std::byte> body;  // Status::message
    CodecError error;                 // Status::out_of_step
  };
  // The next whole message body, if the buffer holds one. Framing::none
  // returns everything held as one message.
  [[nodiscard]] Next next() noexcept;

  // Bytes held that do not yet make a whole frame.
  [[nodiscard]] std::size_t pending_bytes() const noexcept { return end_ - start_; }

 private:
  Framing framing_;
  std::span<std::byte> buffer_;
  std::size_t max_message_bytes_;
  std::size_t start_ = 0;  // first byte not yet returned
  std::size_t end_ = 0;    // one past the last byte committed
  std::size_t consumed_ = 0;  // stream offset of buffer_[0], for error offsets
  CodecError broken_{};
};

}  // namespace authswitch::codec
