// io/iso_adapter: MTI kinds and response MTIs, field 7's year, reading an
// AuthRequest, and the echo capture a response is built from after the
// receive buffer was reused.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <span>
#include <string>

#include "codec/pack.h"
#include "codec/unpack.h"
#include "io/iso_adapter.h"
#include "tests/io/switch_test_support.h"

namespace authswitch::test {
namespace {

constexpr core::TimeMs ms_2026_11_23_14h = 1'795'442'400'000;  // 2026-11-23T14:00:00Z

TEST(IsoAdapter, MessageKindsAndResponseMtis) {
  EXPECT_EQ(io::message_kind("0100"), io::MessageKind::request);
  EXPECT_EQ(io::message_kind("0120"), io::MessageKind::request);
  EXPECT_EQ(io::message_kind("0800"), io::MessageKind::network_management);
  EXPECT_EQ(io::message_kind("0110"), io::MessageKind::response);
  EXPECT_EQ(io::message_kind("0810"), io::MessageKind::response);
  EXPECT_EQ(io::message_kind("0140"), io::MessageKind::other);  // a notification
  const auto mti = [](std::string_view m) {
    const auto r = io::response_mti(m);
    return std::string(r.data(), r.size());
  };
  EXPECT_EQ(mti("0100"), "0110");
  EXPECT_EQ(mti("0101"), "0110");
  EXPECT_EQ(mti("0421"), "0430");
  EXPECT_EQ(mti("0300"), "0310");
}

TEST(IsoAdapter, Field7TakesTheYearNearestTheClock) {
  const auto t = io::field7_time_ms(1123140000, ms_2026_11_23_14h);
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, ms_2026_11_23_14h);
  // 1 January seen on 23 November is next year's, 31 December in January last year's.
  const auto jan = io::field7_time_ms(101000000, ms_2026_11_23_14h);
  ASSERT_TRUE(jan);
  EXPECT_GT(*jan, ms_2026_11_23_14h);
  EXPECT_FALSE(io::field7_time_ms(1323140000, ms_2026_11_23_14h));  // month 13
  EXPECT_FALSE(io::field7_time_ms(431120000, ms_2026_11_23_14h));   // 31 April
  EXPECT_FALSE(io::field7_time_ms(1123250000, ms_2026_11_23_14h));  // 25 o'clock
  // 29 February: no leap year within a year of the clock (2025-2027).
  EXPECT_FALSE(io::field7_time_ms(229120000, ms_2026_11_23_14h));
}

TEST(IsoAdapter, ReadsTheFieldsTheCoreUses) {
  Fields f = auth_request(0, 1234, 42);
  f[90] = std::string("0100") + "000042" + "1123140000" + "00000123456" + "00000000000";
  f[95] = "000000000500000000000000000000000000000000";
  // The view points into the body: keep it alive, not a temporary.
  const std::string body = frame_of(f).substr(2);
  codec::MessageView view;
  ASSERT_TRUE(codec::unpack(codec::Dialect::iso87_ascii(), body, view).ok());
  core::AuthRequest r;
  ASSERT_EQ(io::read_request(codec::Dialect::iso87_ascii(), view, ms_2026_11_23_14h, r), io::ReadStatus::ok);
  EXPECT_EQ(r.mti_class, core::MtiClass::authorization);
  EXPECT_EQ(r.pan(), core::demo_pan(0));
  EXPECT_EQ(r.amount, 1234);
  EXPECT_EQ(r.stan, 42u);
  EXPECT_EQ(r.field7, 1123140000u);
  EXPECT_EQ(r.acquirer, 123456u);
  EXPECT_EQ(r.currency, 392);
  EXPECT_EQ(r.original.mti, 100);
  EXPECT_EQ(r.original.stan, 42u);
  EXPECT_EQ(r.original.acquirer, 123456u);
  EXPECT_EQ(r.actual_amount, 500);
  EXPECT_TRUE(r.has(core::AuthRequest::f90));
}

TEST(IsoAdapter, UnreadableFieldTextIsAFormatError) {
  Fields f = auth_request(0, 1234, 42);
  f[7] = "1332140000";  // month 13
  // The view points into the body: keep it alive, not a temporary.
  const std::string body = frame_of(f).substr(2);
  codec::MessageView view;
  ASSERT_TRUE(codec::unpack(codec::Dialect::iso87_ascii(), body, view).ok());
  core::AuthRequest r;
  EXPECT_EQ(io::read_request(codec::Dialect::iso87_ascii(), view, ms_2026_11_23_14h, r), io::ReadStatus::format_error);
}

// SPEC 1: a field-spec file may give a field the core reads more room than
// the 42 characters SPEC 1's table needs, in an encoding whose text is not
// the wire bytes. A peer sending such a long value gets 30 (format error);
// the switch does not decode it past its buffer (which stops the process).
TEST(IsoAdapter, LongerFieldThanTheCoreReadsInAnEbcdicDialectIsAFormatError) {
  struct Case {
    int field;
    codec::ContentType type;
    char fill;
  };
  for (const Case c : {Case{2, codec::ContentType::n, '4'}, Case{37, codec::ContentType::an, 'R'},
                       Case{95, codec::ContentType::an, '0'}}) {
    SCOPED_TRACE("field " + std::to_string(c.field));
    codec::Dialect dialect = codec::Dialect::iso87_ascii();
    codec::FieldSpec spec;
    spec.defined = true;
    spec.type = c.type;
    spec.length_type = codec::LengthType::lllvar;
    spec.max_length = 999;
    spec.encoding = codec::ContentEncoding::ebcdic;
    ASSERT_EQ(dialect.define(c.field, spec), "");
    Fields f = auth_request(0, 1234, 42);
    f[c.field] = std::string(70, c.fill);
    codec::FieldValues values;
    for (const auto& [number, text] : f) {
      if (number == 0) {
        values.set_mti(text);
      } else {
        values.set(number, text);
      }
    }
    std::array<std::byte, 1024> body{};
    const codec::PackResult packed = codec::pack(dialect, values, body);
    ASSERT_TRUE(packed.error.ok()) << codec::name(packed.error.code);
    codec::MessageView view;
    ASSERT_TRUE(codec::unpack(dialect, std::span<const std::byte>(body.data(), packed.size), view).ok());
    core::AuthRequest r;
    EXPECT_EQ(io::read_request(dialect, view, ms_2026_11_23_14h, r), io::ReadStatus::format_error);
  }
}

TEST(IsoAdapter, CaptureOutlivesTheReceiveBuffer) {
  const Fields f = auth_request(0, 1234, 42);
  std::string body = frame_of(f).substr(2);
  codec::MessageView view;
  ASSERT_TRUE(codec::unpack(codec::Dialect::iso87_ascii(), body, view).ok());
  io::EchoCapture capture;
  io::capture_echo(codec::Dialect::iso87_ascii(), view, capture);
  std::memset(body.data(), 'Z', body.size());  // the buffer is reused for the next frames
  core::AuthResponse response;
  response.rc = core::ResponseCode::approved;
  response.has_approval_code = true;
  response.approval_code = {'A', 'B', 'C', '1', '2', '3'};
  io::ResponseText text;
  codec::FieldValues values;
  io::build_response(capture, response, text, values);
  std::string out(1024, '\0');
  const codec::PackResult packed = codec::pack(codec::Dialect::iso87_ascii(), values,
                                               std::as_writable_bytes(std::span(out.data(), out.size())));
  ASSERT_TRUE(packed.error.ok());
  const Fields answer = parse_body(out.substr(0, packed.size));
  EXPECT_EQ(answer.at(0), "0110");
  EXPECT_EQ(answer.at(38), "ABC123");
  EXPECT_EQ(answer.at(39), "00");
  for (const int n : {2, 3, 4, 7, 11, 32, 37, 41, 49}) EXPECT_EQ(answer.at(n), f.at(n)) << n;
}

}  // namespace
}  // namespace authswitch::test
