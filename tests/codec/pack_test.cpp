// Pack: exact bytes, the secondary bitmap policy, padding, and one case per
// error branch (exact code, field and output offset).
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "codec/pack.h"
#include "codec/unpack.h"
#include "tests/codec/message_builder.h"
#include "tests/codec/print.h"

namespace authswitch::codec {
namespace {

using test::bitmap;

struct Packed {
  CodecError error;
  std::string bytes;
};

Packed pack_to_string(const Dialect& d, const FieldValues& v, const PackOptions& options = {},
                      std::size_t capacity = 4096) {
  std::array<std::byte, 16384> out{};
  const PackResult r = pack(d, v, std::span(out.data(), capacity), options);
  return {r.error, std::string(reinterpret_cast<const char*>(out.data()), r.size)};
}

FieldValues request_0100() {
  FieldValues v;
  v.set_mti("0100");
  v.set(3, "000000");
  v.set(4, "000000001000");
  return v;
}

TEST(Pack, WritesOnlyThePrimaryBitmapWhenNoFieldAbove64) {
  const Packed p = pack_to_string(Dialect::iso87_ascii(), request_0100());
  ASSERT_TRUE(p.error.ok());
  EXPECT_EQ(p.bytes, "0100" + bitmap({3, 4}) + "000000" + "000000001000");
}

TEST(Pack, WritesAnEmptySecondaryBitmapWhenTheOptionSaysAlways) {
  const Packed p = pack_to_string(Dialect::iso87_ascii(), request_0100(), {.framing = Framing::none, .secondary_bitmap = SecondaryBitmap::always});
  ASSERT_TRUE(p.error.ok());
  EXPECT_EQ(p.bytes, "0100" + bitmap({3, 4}, true) + "000000" + "000000001000");
}

TEST(Pack, WritesAnEmptySecondaryBitmapWhenTheDialectSaysAlways) {
  Dialect d = Dialect::iso87_ascii();
  d.secondary_bitmap = SecondaryBitmap::always;
  EXPECT_EQ(pack_to_string(d, request_0100()).bytes, "0100" + bitmap({3, 4}, true) + "000000" + "000000001000");
  // The option overrides the dialect both ways.
  EXPECT_EQ(pack_to_string(d, request_0100(), {.framing = Framing::none, .secondary_bitmap = SecondaryBitmap::when_needed}).bytes,
            "0100" + bitmap({3, 4}) + "000000" + "000000001000");
}

TEST(Pack, WritesTheSecondaryBitmapWhenAFieldAbove64IsPresent) {
  FieldValues v;
  v.set_mti("0800");
  v.set(11, "000001");
  v.set(70, "301");
  EXPECT_EQ(pack_to_string(Dialect::iso87_ascii(), v).bytes, "0800" + bitmap({11, 70}) + "000001" + "301");
}

TEST(Pack, PadsShortFixedFieldsAsTheDialectSays) {
  FieldValues v;
  v.set_mti("0110");
  v.set(4, "1000");  // n12: zeros on the left
  v.set(38, "AB1");  // an6: spaces on the right
  EXPECT_EQ(pack_to_string(Dialect::iso87_ascii(), v).bytes, "0110" + bitmap({4, 38}) + "000000001000" + "AB1   ");
}

TEST(Pack, WritesVariableFieldsWithTheirLengthPrefix) {
  FieldValues v;
  v.set_mti("0110");
  v.set(2, "4000000000000002");
  v.set(44, "USER:DAILY");
  v.set(54, "0002392C000000123456");
  EXPECT_EQ(pack_to_string(Dialect::iso87_ascii(), v).bytes,
            "0110" + bitmap({2, 44, 54}) + "16" + "4000000000000002" + "10USER:DAILY" + "020" + "0002392C000000123456");
}

TEST(Pack, FramesTheMessage) {
  const std::string body = "0100" + bitmap({3, 4}) + "000000" + "000000001000";
  const Packed len2 = pack_to_string(Dialect::iso87_ascii(), request_0100(), {.framing = Framing::len2, .secondary_bitmap = {}});
  EXPECT_EQ(len2.bytes, std::string("\x00\x1e", 2) + body);
  const Packed ascii4 = pack_to_string(Dialect::iso87_ascii(), request_0100(), {.framing = Framing::ascii4, .secondary_bitmap = {}});
  EXPECT_EQ(ascii4.bytes, "0030" + body);
}

TEST(Pack, EchoesARequestsFieldsWithoutCopyingThem) {
  const std::string request = "0100" + bitmap({2, 3, 11}) + "16" + "4000000000000002" + "000000" + "123456";
  MessageView view;
  ASSERT_TRUE(unpack(Dialect::iso87_ascii(), request, view).ok());
  FieldValues v;
  v.set_mti("0110");
  view.for_each_field([&](int f) { v.set(f, view.wire(f)); });
  v.set(39, "00");
  EXPECT_EQ(v.get(2).data(), request.data() + 14);  // a view into the request, not a copy
  EXPECT_EQ(pack_to_string(Dialect::iso87_ascii(), v).bytes,
            "0110" + bitmap({2, 3, 11, 39}) + "16" + "4000000000000002" + "000000" + "123456" + "00");
}

TEST(Pack, EchoCopiesTheViewsOfTheNamedFieldsTheRequestCarries) {
  const std::string request = "0100" + bitmap({2, 3, 11, 70}) + "16" + "4000000000000002" + "000000" + "123456" + "001";
  MessageView view;
  ASSERT_TRUE(unpack(Dialect::iso87_ascii(), request, view).ok());
  FieldValues v;
  v.set_mti("0810");
  v.echo(view, FieldSet{3, 4, 11, 70});  // 4 is not in the request
  EXPECT_FALSE(v.has(2));
  EXPECT_FALSE(v.has(4));
  EXPECT_EQ(v.get(3).data(), request.data() + 38);  // MTI 4, bitmaps 16, field 2 18
  EXPECT_EQ(pack_to_string(Dialect::iso87_ascii(), v).bytes, "0810" + bitmap({3, 11, 70}) + "000000" + "123456" + "001");
}

TEST(Pack, ClearedFieldsAreLeftOut) {
  FieldValues v = request_0100();
  v.clear(4);
  EXPECT_FALSE(v.has(4));
  EXPECT_EQ(pack_to_string(Dialect::iso87_ascii(), v).bytes, "0100" + bitmap({3}) + "000000");
}

struct PackErrorCase {
  const char* name;
  FieldValues values;
  CodecError expected;
  std::size_t capacity = 4096;
  Framing framing = Framing::none;
};

FieldValues with(std::string_view mti, std::initializer_list<std::pair<int, std::string_view>> fields) {
  FieldValues v;
  v.set_mti(mti);
  for (const auto& [f, text] : fields) v.set(f, text);
  return v;
}

TEST(PackErrors, Iso87Ascii) {
  static const std::string long_text(999, 'A');
  // clang-format off
  const PackErrorCase cases[] = {
    {"letter in MTI", with("01A0", {{3, "000000"}}), {ErrorCode::bad_mti, 0, 0}},
    {"short MTI", with("010", {{3, "000000"}}), {ErrorCode::bad_mti, 0, 0}},
    {"LLVAR above maximum", with("0100", {{2, "12345678901234567890"}}), {ErrorCode::length_above_max, 2, 12}},
    {"fixed value too long", with("0100", {{3, "1234567"}}), {ErrorCode::length_above_max, 3, 12}},
    {"letter in padded n field", with("0100", {{3, "000000"}, {4, "12a"}}), {ErrorCode::bad_content, 4, 18}},
    {"letter in full-length n field", with("0100", {{3, "12a456"}}), {ErrorCode::bad_content, 3, 12}},
    {"buffer ends inside a padded field", with("0100", {{4, "1"}}), {ErrorCode::buffer_too_small, 4, 12}, 20},
    {"letter in z field", with("0100", {{35, "1234X"}}), {ErrorCode::bad_content, 35, 12}},
    {"buffer holds no bitmap", with("0100", {{3, "000000"}}), {ErrorCode::buffer_too_small, 1, 4}, 10},
    {"buffer holds no MTI", with("0100", {{3, "000000"}}), {ErrorCode::buffer_too_small, 0, 0}, 3},
    {"buffer ends inside a field", with("0100", {{3, "000000"}}), {ErrorCode::buffer_too_small, 3, 12}, 17},
    {"buffer holds no frame header", with("0100", {{3, "000000"}}), {ErrorCode::buffer_too_small, no_field, 0}, 1, Framing::len2},
    {"body too long for ascii4", with("0100", {{48, long_text}, {55, long_text}, {56, long_text}, {57, long_text},
        {58, long_text}, {59, long_text}, {60, long_text}, {61, long_text}, {62, long_text}, {63, long_text}}),
        {ErrorCode::message_too_large, no_field, 4}, 16384, Framing::ascii4},
  };
  // clang-format on
  for (const PackErrorCase& c : cases) {
    EXPECT_EQ(pack_to_string(Dialect::iso87_ascii(), c.values, {.framing = c.framing, .secondary_bitmap = {}}, c.capacity).error, c.expected)
        << c.name;
  }
}

TEST(PackErrors, FieldNotInDialect) {
  Dialect d;
  ASSERT_TRUE(d.define(3, Dialect::iso87_ascii().field(3)).empty());
  EXPECT_EQ(pack_to_string(d, with("0100", {{3, "000000"}, {4, "1"}})).error,
            (CodecError{ErrorCode::unknown_field, 4, 18}));
}

TEST(PackErrors, ShortFixedValueWithoutPadding) {
  Dialect d;
  FieldSpec spec = Dialect::iso87_ascii().field(3);
  spec.padding = Padding::none;
  ASSERT_TRUE(d.define(3, spec).empty());
  EXPECT_EQ(pack_to_string(d, with("0100", {{3, "123"}})).error, (CodecError{ErrorCode::wrong_length, 3, 12}));
}

}  // namespace
}  // namespace authswitch::codec
