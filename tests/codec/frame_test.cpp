// Frames: unframe of one whole frame, and the streaming de-framer (SPEC 9).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "codec/frame.h"
#include "tests/codec/feed_deframer.h"
#include "tests/codec/print.h"

namespace authswitch::codec {
namespace {

std::span<const std::byte> bytes(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }
std::string text(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

std::string len2(const std::string& body) {
  return std::string{static_cast<char>(body.size() >> 8), static_cast<char>(body.size() & 0xff)} + body;
}

TEST(Unframe, WholeFrames) {
  // The frames outlive the bodies that point into them.
  const std::string framed = len2("0800abc");
  const FrameResult ok = unframe(Framing::len2, bytes(framed));
  ASSERT_TRUE(ok.error.ok());
  EXPECT_EQ(text(ok.body), "0800abc");
  const std::string framed4 = "00050800x";
  const FrameResult ascii4 = unframe(Framing::ascii4, bytes(framed4));
  ASSERT_TRUE(ascii4.error.ok());
  EXPECT_EQ(text(ascii4.body), "0800x");
  const std::string bare = "0800";
  const FrameResult none = unframe(Framing::none, bytes(bare));
  EXPECT_EQ(text(none.body), "0800");
}

TEST(Unframe, Errors) {
  EXPECT_EQ(unframe(Framing::len2, bytes(std::string("\x00", 1))).error,
            (CodecError{ErrorCode::truncated_frame, no_field, 1}));
  EXPECT_EQ(unframe(Framing::len2, bytes(std::string("\x00\x05" "0800", 6))).error,
            (CodecError{ErrorCode::truncated_frame, no_field, 6}));
  EXPECT_EQ(unframe(Framing::len2, bytes(std::string("\x00\x03" "0800", 6))).error,
            (CodecError{ErrorCode::trailing_bytes, no_field, 5}));
  EXPECT_EQ(unframe(Framing::ascii4, bytes("00x40800")).error, (CodecError{ErrorCode::bad_frame_length, no_field, 0}));
}

TEST(Framing, ParsesItsNames) {
  Framing f = Framing::none;
  EXPECT_TRUE(parse_framing("len2", f));
  EXPECT_EQ(f, Framing::len2);
  EXPECT_TRUE(parse_framing("ascii4", f));
  EXPECT_EQ(f, Framing::ascii4);
  EXPECT_TRUE(parse_framing("none", f));
  EXPECT_EQ(f, Framing::none);
  EXPECT_FALSE(parse_framing("LEN2", f));
}

// Feeds `stream` to a de-framer in reads of `chunk` bytes; collects bodies.
struct Feed {
  std::vector<std::string> bodies;
  CodecError error{};
};

Feed feed(Framing framing, const std::string& stream, std::size_t chunk, std::size_t max_message = 64) {
  std::vector<std::byte> buffer(frame_header_bytes(framing) + max_message);
  Deframer d(framing, buffer, max_message);
  Feed out;
  const test::FeedEnd end = test::feed_deframer(d, bytes(stream), chunk, [&](std::span<const std::byte> body) {
    out.bodies.push_back(text(body));
  });
  EXPECT_FALSE(end.stalled);
  if (end.out_of_step) {
    out.error = end.error;
    // The stream stays broken: asking again repeats the error.
    EXPECT_EQ(d.next().error, end.error);
  }
  return out;
}

TEST(Deframer, OneFrameOneRead) {
  const Feed f = feed(Framing::len2, len2("0800hello"), 1000);
  EXPECT_EQ(f.bodies, std::vector<std::string>{"0800hello"});
  EXPECT_TRUE(f.error.ok());
}

TEST(Deframer, FramesSplitAcrossReadsAtEveryByte) {
  const std::string stream = len2("first-message") + len2("second") + len2(std::string(64, 'x'));
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    const Feed f = feed(Framing::len2, stream, chunk);
    EXPECT_EQ(f.bodies, (std::vector<std::string>{"first-message", "second", std::string(64, 'x')})) << chunk;
  }
}

TEST(Deframer, SeveralFramesInOneRead) {
  const Feed f = feed(Framing::ascii4, "0003abc0001d0002ef", 1000);
  EXPECT_EQ(f.bodies, (std::vector<std::string>{"abc", "d", "ef"}));
}

TEST(Deframer, ZeroLengthIsOutOfStep) {
  const Feed f = feed(Framing::len2, len2("ok") + std::string("\x00\x00", 2) + len2("never"), 3);
  EXPECT_EQ(f.bodies, std::vector<std::string>{"ok"});
  EXPECT_EQ(f.error, (CodecError{ErrorCode::frame_out_of_step, no_field, 4}));
}

TEST(Deframer, LengthAboveMaxMessageBytesIsOutOfStep) {
  const Feed f = feed(Framing::len2, len2(std::string(64, 'a')) + len2(std::string(65, 'b')), 7);
  EXPECT_EQ(f.bodies, std::vector<std::string>{std::string(64, 'a')});
  EXPECT_EQ(f.error, (CodecError{ErrorCode::frame_out_of_step, no_field, 66}));
}

TEST(Deframer, NonDigitAscii4HeaderIsOutOfStep) {
  const Feed f = feed(Framing::ascii4, "0001a00x1b", 1000);
  EXPECT_EQ(f.bodies, std::vector<std::string>{"a"});
  EXPECT_EQ(f.error, (CodecError{ErrorCode::bad_frame_length, no_field, 5}));
}

TEST(Deframer, PartialFrameIsHeldUntilComplete) {
  std::array<std::byte, 2 + 64> buffer{};
  Deframer d(Framing::len2, buffer, 64);
  const std::string frame = len2("abcdef");
  std::memcpy(d.writable().data(), frame.data(), 5);
  d.commit(5);
  EXPECT_EQ(d.next().status, Deframer::Status::need_more);
  EXPECT_EQ(d.pending_bytes(), 5u);
  std::memcpy(d.writable().data(), frame.data() + 5, 3);
  d.commit(3);
  const Deframer::Next n = d.next();
  ASSERT_EQ(n.status, Deframer::Status::message);
  EXPECT_EQ(text(n.body), "abcdef");
  EXPECT_EQ(d.pending_bytes(), 0u);
}

TEST(Deframer, NoneFramingGivesEachReadAsOneMessage) {
  std::array<std::byte, 64> buffer{};
  Deframer d(Framing::none, buffer, 64);
  EXPECT_EQ(d.next().status, Deframer::Status::need_more);
  std::memcpy(d.writable().data(), "0800", 4);
  d.commit(4);
  const Deframer::Next n = d.next();
  ASSERT_EQ(n.status, Deframer::Status::message);
  EXPECT_EQ(text(n.body), "0800");
}

TEST(FrameHeader, WritesBothKinds) {
  std::array<std::byte, 4> out{};
  write_frame_header(Framing::len2, 0x1234, out.data());
  EXPECT_EQ(text(std::span(out.data(), 2)), "\x12\x34");
  write_frame_header(Framing::ascii4, 987, out.data());
  EXPECT_EQ(text(out), "0987");
}

}  // namespace
}  // namespace authswitch::codec
