// One case per error branch of unpack: the exact code, field and offset.
#include <gtest/gtest.h>

#include <string>

#include "codec/unpack.h"
#include "tests/codec/message_builder.h"
#include "tests/codec/print.h"

namespace authswitch::codec {
namespace {

using test::bitmap;

struct ErrorCase {
  const char* name;
  std::string message;
  CodecError expected;
};

Dialect only_field_3() {
  Dialect d;
  EXPECT_TRUE(d.define(3, Dialect::iso87_ascii().field(3)).empty());
  return d;
}

Dialect bcd_dialect() {
  Dialect d;
  d.mti_encoding = MtiEncoding::bcd;
  FieldSpec pan{.defined = true, .type = ContentType::n, .length_type = LengthType::llvar, .max_length = 19,
                .prefix = PrefixEncoding::bcd, .encoding = ContentEncoding::bcd};
  EXPECT_TRUE(d.define(2, pan).empty());
  FieldSpec code{.defined = true, .type = ContentType::n, .length_type = LengthType::fixed, .max_length = 3,
                 .prefix = PrefixEncoding::ascii, .encoding = ContentEncoding::bcd};
  EXPECT_TRUE(d.define(3, code).empty());
  FieldSpec track{.defined = true, .type = ContentType::z, .length_type = LengthType::llvar, .max_length = 37,
                  .prefix = PrefixEncoding::bcd, .encoding = ContentEncoding::bcd};
  EXPECT_TRUE(d.define(35, track).empty());
  return d;
}

const std::string mti = "0100";

// clang-format off
const ErrorCase ascii_cases[] = {
  {"empty message", "", {ErrorCode::truncated_mti, 0, 0}},
  {"short MTI", "010", {ErrorCode::truncated_mti, 0, 3}},
  {"letter in MTI", "01A0" + bitmap({3}) + "123456", {ErrorCode::bad_mti, 0, 2}},
  {"short primary bitmap", mti + std::string("\x20\x00\x00", 3), {ErrorCode::truncated_bitmap, 1, 7}},
  {"short secondary bitmap", mti + bitmap({}, true).substr(0, 11), {ErrorCode::truncated_bitmap, 1, 15}},
  {"field announced, message ended", mti + bitmap({3}), {ErrorCode::missing_field, 3, 12}},
  {"second field announced, message ended", mti + bitmap({3, 4}) + "123456", {ErrorCode::missing_field, 4, 18}},
  {"fixed field cut short", mti + bitmap({3}) + "12345", {ErrorCode::truncated_field, 3, 12}},
  {"length prefix cut short", mti + bitmap({2}) + "1", {ErrorCode::truncated_field, 2, 12}},
  {"variable content cut short", mti + bitmap({2}) + "16" + "1234", {ErrorCode::truncated_field, 2, 14}},
  {"letter in LL prefix", mti + bitmap({2}) + "1X" + "1234567890", {ErrorCode::bad_length_digits, 2, 12}},
  {"letter in LLL prefix", mti + bitmap({54}) + "0 5" + "12345", {ErrorCode::bad_length_digits, 54, 12}},
  {"LL above the field's maximum", mti + bitmap({2}) + "20" + std::string(20, '1'), {ErrorCode::length_above_max, 2, 12}},
  {"LLL above the field's maximum", mti + bitmap({54}) + "121" + std::string(121, 'A'), {ErrorCode::length_above_max, 54, 12}},
  {"letter in n field", mti + bitmap({3}) + "12a456", {ErrorCode::bad_content, 3, 14}},
  {"letter late in long n field", mti + bitmap({4}) + "12345678901X", {ErrorCode::bad_content, 4, 23}},
  {"space in n LLVAR", mti + bitmap({2}) + "05" + "123 5", {ErrorCode::bad_content, 2, 17}},
  {"letter in z field", mti + bitmap({35}) + "05" + "12=4X", {ErrorCode::bad_content, 35, 18}},
  {"byte after the last field", mti + bitmap({3}) + "123456" + "7", {ErrorCode::trailing_bytes, no_field, 18}},
  {"bytes after an empty message", mti + bitmap({}) + "xy", {ErrorCode::trailing_bytes, no_field, 12}},
};
// clang-format on

TEST(UnpackErrors, Iso87Ascii) {
  for (const ErrorCase& c : ascii_cases) {
    MessageView view;
    EXPECT_EQ(unpack(Dialect::iso87_ascii(), c.message, view), c.expected) << c.name;
  }
}

TEST(UnpackErrors, FieldNotInDialect) {
  MessageView view;
  const Dialect d = only_field_3();
  EXPECT_EQ(unpack(d, mti + bitmap({3, 4}) + "123456" + "0000", view), (CodecError{ErrorCode::unknown_field, 4, 18}));
}

TEST(UnpackErrors, MessageLargerThanOffsetsCanHold) {
  MessageView view;
  const std::string huge(constants::iso_message_bytes_max + 1, '0');
  EXPECT_EQ(unpack(Dialect::iso87_ascii(), huge, view), (CodecError{ErrorCode::message_too_large, no_field, 0}));
}

TEST(UnpackErrors, HexBitmapWithNonHexCharacter) {
  Dialect d = only_field_3();
  d.bitmap_encoding = BitmapEncoding::hex_ascii;
  MessageView view;
  EXPECT_EQ(unpack(d, mti + "2000000G00000000" + "123456", view), (CodecError{ErrorCode::bad_bitmap, 1, 11}));
  EXPECT_EQ(unpack(d, mti + "20000000", view), (CodecError{ErrorCode::truncated_bitmap, 1, 12}));
}

TEST(UnpackErrors, BcdDialect) {
  const Dialect d = bcd_dialect();
  const std::string bcd_mti("\x01\x00", 2);
  // clang-format off
  const ErrorCase cases[] = {
    {"short bcd MTI", std::string("\x01", 1), {ErrorCode::truncated_mti, 0, 1}},
    {"nibble above 9 in MTI", std::string("\x01\xA0", 2) + bitmap({3}) + std::string("\x01\x23", 2), {ErrorCode::bad_mti, 0, 1}},
    {"nibble above 9 in LL prefix", bcd_mti + bitmap({2}) + std::string("\x1A\x12", 2), {ErrorCode::bad_length_digits, 2, 10}},
    {"bcd LL above maximum", bcd_mti + bitmap({2}) + std::string("\x20", 1) + std::string(10, '\x11'), {ErrorCode::length_above_max, 2, 10}},
    {"bcd content cut short", bcd_mti + bitmap({2}) + std::string("\x05\x01\x23", 3), {ErrorCode::truncated_field, 2, 11}},
    {"nibble above 9 in n", bcd_mti + bitmap({3}) + std::string("\x01\x2B", 2), {ErrorCode::bad_content, 3, 11}},
    {"odd n pad nibble not 0", bcd_mti + bitmap({3}) + std::string("\x11\x23", 2), {ErrorCode::bad_content, 3, 10}},
    {"odd z pad nibble not F", bcd_mti + bitmap({35}) + std::string("\x03\x12\x30", 3), {ErrorCode::bad_content, 35, 12}},
    {"nibble E in z", bcd_mti + bitmap({35}) + std::string("\x04\x1E\x34", 3), {ErrorCode::bad_content, 35, 11}},
  };
  // clang-format on
  for (const ErrorCase& c : cases) {
    MessageView view;
    EXPECT_EQ(unpack(d, c.message, view), c.expected) << c.name;
  }
}

TEST(UnpackErrors, EbcdicNonDigitInNField) {
  Dialect d;
  FieldSpec spec = Dialect::iso87_ascii().field(3);
  spec.encoding = ContentEncoding::ebcdic;
  ASSERT_TRUE(d.define(3, spec).empty());
  MessageView view;
  EXPECT_EQ(unpack(d, mti + bitmap({3}) + "\xF1\xF2\xF3\x31\xF5\xF6", view), (CodecError{ErrorCode::bad_content, 3, 15}));
  EXPECT_TRUE(unpack(d, mti + bitmap({3}) + "\xF1\xF2\xF3\xF4\xF5\xF6", view).ok());
}

TEST(UnpackErrors, EbcdicTrackField) {
  Dialect d;
  FieldSpec spec = Dialect::iso87_ascii().field(35);
  spec.encoding = ContentEncoding::ebcdic;
  ASSERT_TRUE(d.define(35, spec).empty());
  MessageView view;
  // '=' (0x7E) and 'D' (0xC4) are separators; 'A' (0xC1) is not.
  EXPECT_TRUE(unpack(d, mti + bitmap({35}) + "04" + "\xF1\x7E\xC4\xF2", view).ok());
  EXPECT_EQ(unpack(d, mti + bitmap({35}) + "04" + "\xF1\x7E\xC1\xF2", view), (CodecError{ErrorCode::bad_content, 35, 16}));
}

TEST(Unpack, AcceptsAnAllZeroSecondaryBitmap) {
  MessageView view;
  const std::string message = mti + bitmap({3}, true) + "123456";  // outlives the view's use
  ASSERT_TRUE(unpack(Dialect::iso87_ascii(), message, view).ok());
  EXPECT_TRUE(view.has(1));
  EXPECT_EQ(view.wire(3), "123456");
  EXPECT_EQ(view.secondary_bitmap(), 0u);
}

TEST(Unpack, EmptyVariableFieldIsPresentAndEmpty) {
  MessageView view;
  const std::string message = mti + bitmap({2, 3}) + "00" + "123456";
  ASSERT_TRUE(unpack(Dialect::iso87_ascii(), message, view).ok());
  EXPECT_TRUE(view.has(2));
  EXPECT_EQ(view.wire(2), "");
  EXPECT_EQ(view.wire(3), "123456");
  EXPECT_EQ(view.offset(3), 14u);
  EXPECT_EQ(view.length(3), 6u);
  EXPECT_EQ(view.length(2), 0u);
  EXPECT_FALSE(view.has(4));
  EXPECT_EQ(view.wire(4), "");
}

TEST(Unpack, ReusedViewForgetsTheFieldsOfTheLastMessage) {
  MessageView view;
  const std::string first = mti + bitmap({3, 70}) + "123456" + "301";
  const std::string second = mti + bitmap({4}) + "000000000100";
  ASSERT_TRUE(unpack(Dialect::iso87_ascii(), first, view).ok());
  ASSERT_TRUE(unpack(Dialect::iso87_ascii(), second, view).ok());
  EXPECT_FALSE(view.has(3));
  EXPECT_FALSE(view.has(70));
  EXPECT_FALSE(view.has(1));
  EXPECT_EQ(view.wire(4), "000000000100");
}

// The switch answers 30 echoing 11 when it can read 11 (SPEC 9): a bad
// character breaks nothing around it, so the fields past it are located up
// to a fault of structure; the error returned is still the first one.
TEST(UnpackErrors, FieldsPastABadCharacterStayReadableUpToAFaultOfStructure) {
  const Dialect& d = Dialect::iso87_ascii();
  MessageView view;
  const std::string whole = mti + bitmap({3, 4, 11}) + "12a456" + "000000001000" + "000123";
  EXPECT_EQ(unpack(d, whole, view), (CodecError{ErrorCode::bad_content, 3, 14}));
  EXPECT_FALSE(view.readable_after_error(3));
  EXPECT_TRUE(view.readable_after_error(4));
  EXPECT_TRUE(view.readable_after_error(11));
  EXPECT_EQ(view.wire(11), "000123");
  EXPECT_FALSE(view.readable_after_error(7));  // absent

  const std::string cut = mti + bitmap({3, 4, 11}) + "12a456" + "000000001000" + "0001";
  EXPECT_EQ(unpack(d, cut, view), (CodecError{ErrorCode::bad_content, 3, 14}));
  EXPECT_TRUE(view.readable_after_error(4));
  EXPECT_FALSE(view.readable_after_error(11));

  const std::string two_bad = mti + bitmap({3, 4, 11, 49}) + "123456" + "00000000100X" + "000123" + "97X";
  EXPECT_EQ(unpack(d, two_bad, view), (CodecError{ErrorCode::bad_content, 4, 29}));
  EXPECT_TRUE(view.readable_after_error(3));
  EXPECT_FALSE(view.readable_after_error(4));
  EXPECT_TRUE(view.readable_after_error(11));
  EXPECT_FALSE(view.readable_after_error(49));

  const std::string length_first = mti + bitmap({2, 11}) + "1X" + "000123";
  EXPECT_EQ(unpack(d, length_first, view), (CodecError{ErrorCode::bad_length_digits, 2, 12}));
  EXPECT_FALSE(view.readable_after_error(11));

  const std::string bad_mti = "01A0" + bitmap({11}) + "000123";
  EXPECT_EQ(unpack(d, bad_mti, view), (CodecError{ErrorCode::bad_mti, 0, 2}));
  EXPECT_FALSE(view.readable_after_error(11));
}

}  // namespace
}  // namespace authswitch::codec
