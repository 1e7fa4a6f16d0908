#include "codec/frame.h"

#include <cstring>

#include "codec/scan.h"
#include "core/assert.h"

namespace authswitch::codec {

namespace {

// The body length a header states, or -1 when an ascii4 header is not digits.
long read_header(Framing f, const std::byte* p) noexcept {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  if (f == Framing::len2) return (static_cast<long>(u[0]) << 8) | u[1];
  long value = 0;
  for (int i = 0; i < 4; ++i) {
    if (!is_ascii_digit(u[i])) return -1;
    value = value * 10 + (u[i] - '0');
  }
  return value;
}

}  // namespace

bool parse_framing(std::string_view text, Framing& out) noexcept {
  if (text == "len2") {
    out = Framing::len2;
  } else if (text == "ascii4") {
    out = Framing::ascii4;
  } else if (text == "none") {
    out = Framing::none;
  } else {
    return false;
  }
  return true;
}

void write_frame_header(Framing f, std::size_t body_bytes, std::byte* out) noexcept {
  AS_ASSERT(body_bytes <= frame_body_max(f));
  auto* u = reinterpret_cast<unsigned char*>(out);
  if (f == Framing::len2) {
    u[0] = static_cast<unsigned char>(body_bytes >> 8);
    u[1] = static_cast<unsigned char>(body_bytes & 0xff);
  } else if (f == Framing::ascii4) {
    for (int i = 3; i >= 0; --i) {
      u[i] = static_cast<unsigned char>('0' + body_bytes % 10);
      body_bytes /= 10;
    }
  }
}

FrameResult unframe(Framing f, std::span<const std::byte> frame) noexcept {
  const std::size_t header = frame_header_bytes(f);
  if (header == 0) return {{}, frame};
  if (frame.size() < header) return {{ErrorCode::truncated_frame, no_field, static_cast<std::uint32_t>(frame.size())}, {}};
  const long stated = read_header(f, frame.data());
  if (stated < 0) return {{ErrorCode::bad_frame_length, no_field, 0}, {}};
  const std::size_t body = frame.size() - header;
  if (static_cast<std::size_t>(stated) > body) {
    return {{ErrorCode::truncated_frame, no_field, static_cast<std::uint32_t>(frame.size())}, {}};
  }
  if (static_cast<std::size_t>(stated) < body) {
    return {{ErrorCode::trailing_bytes, no_field, static_cast<std::uint32_t>(header + static_cast<std::size_t>(stated))}, {}};
  }
  return {{}, frame.subspan(header)};
}

Deframer::Deframer(Framing framing, std::span<std::byte> buffer, std::size_t max_message_bytes) noexcept
    : framing_(framing), buffer_(buffer), max_message_bytes_(max_message_bytes) {
  AS_ASSERT(max_message_bytes >= 1);
  AS_ASSERT(buffer.size() >= frame_header_bytes(framing) + max_message_bytes);
}

std::span<std::byte> Deframer::writable() noexcept {
  if (start_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + start_, end_ - start_);
    consumed_ += start_;
    end_ -= start_;
    start_ = 0;
  }
  return buffer_.subspan(end_);
}

void Deframer::commit(std::size_t bytes) noexcept {
  AS_ASSERT(bytes <= buffer_.size() - end_);
  end_ += bytes;
}

Deframer::Next Deframer::next() noexcept {
  if (!broken_.ok()) return {Status::out_of_step, {}, broken_};
  const std::size_t held = end_ - start_;
  if (framing_ == Framing::none) {
    if (held == 0) return {Status::need_more, {}, {}};
    const std::span<const std::byte> body(buffer_.data() + start_, held);
    start_ = end_;
    return {Status::message, body, {}};
  }
  const std::size_t header = frame_header_bytes(framing_);
  if (held < header) return {Status::need_more, {}, {}};
  const long stated = read_header(framing_, buffer_.data() + start_);
  const auto at = static_cast<std::uint32_t>(consumed_ + start_);
  if (stated < 0) {
    broken_ = {ErrorCode::bad_frame_length, no_field, at};
    return {Status::out_of_step, {}, broken_};
  }
  const auto length = static_cast<std::size_t>(stated);
  if (length == 0 || length > max_message_bytes_) {
    broken_ = {ErrorCode::frame_out_of_step, no_field, at};
    return {Status::out_of_step, {}, broken_};
  }
  if (held < header + length) return {Status::need_more, {}, {}};
  const std::span<const std::byte> body(buffer_.data() + start_ + header, length);
  start_ += header + length;
  return {Status::message, body, {}};
}

}  // namespace authswitch::codec
