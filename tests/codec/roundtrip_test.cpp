// Every content type, length type, prefix and content encoding: the exact
// wire bytes pack writes, and unpack + field_text giving the text back.
#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "codec/pack.h"
#include "codec/text.h"
#include "codec/unpack.h"
#include "tests/codec/message_builder.h"

namespace authswitch::codec {
namespace {

using CT = ContentType;
using LT = LengthType;
using PE = PrefixEncoding;
using CE = ContentEncoding;

struct RoundTrip {
  const char* name;
  FieldSpec spec;
  std::string text;       // given to pack
  std::string wire_hex;   // prefix + content, as packed
  std::string text_back;  // what unpack + field_text return (padding, '=' read as 'D')
};

FieldSpec spec(CT type, LT length_type, std::uint16_t max, PE prefix, CE encoding, Padding padding = Padding::none,
               char pad_char = ' ') {
  return {true, type, length_type, max, prefix, encoding, padding, pad_char};
}

std::string unhex(const std::string& hex) {
  std::string out(hex.size() / 2, '\0');
  EXPECT_TRUE(hex_decode(hex, out).has_value()) << hex;
  return out;
}

// clang-format off
const RoundTrip cases[] = {
  {"n fixed ascii", spec(CT::n, LT::fixed, 6, PE::ascii, CE::ascii), "123456", "313233343536", "123456"},
  {"n fixed ascii left-padded", spec(CT::n, LT::fixed, 6, PE::ascii, CE::ascii, Padding::left, '0'), "123", "303030313233", "000123"},
  {"a fixed ascii", spec(CT::a, LT::fixed, 3, PE::ascii, CE::ascii), "ABC", "414243", "ABC"},
  {"an fixed ascii right-padded", spec(CT::an, LT::fixed, 6, PE::ascii, CE::ascii, Padding::right, ' '), "AB", "414220202020", "AB    "},
  {"ans LLVAR ascii", spec(CT::ans, LT::llvar, 25, PE::ascii, CE::ascii), "a b!", "303461206221", "a b!"},
  {"n LLVAR ascii empty", spec(CT::n, LT::llvar, 19, PE::ascii, CE::ascii), "", "3030", ""},
  {"n LLVAR ascii", spec(CT::n, LT::llvar, 19, PE::ascii, CE::ascii), "12345", "30353132333435", "12345"},
  {"an LLLVAR ascii", spec(CT::an, LT::lllvar, 120, PE::ascii, CE::ascii), "0002", "30303430303032", "0002"},
  {"ans LLLLVAR ascii", spec(CT::ans, LT::llllvar, 9999, PE::ascii, CE::ascii), "xy", "303030327879", "xy"},
  {"n LLVAR bcd prefix bcd content odd", spec(CT::n, LT::llvar, 19, PE::bcd, CE::bcd), "12345", "05012345", "12345"},
  {"n LLLVAR bcd prefix bcd content even", spec(CT::n, LT::lllvar, 999, PE::bcd, CE::bcd), "1234", "00041234", "1234"},
  {"n LLLLVAR bcd prefix", spec(CT::n, LT::llllvar, 9999, PE::bcd, CE::ascii), "12", "00023132", "12"},
  {"n LLVAR binary prefix", spec(CT::n, LT::llvar, 19, PE::binary, CE::ascii), "123", "03313233", "123"},
  {"ans LLLVAR binary prefix", spec(CT::ans, LT::lllvar, 999, PE::binary, CE::ascii), "hi", "00026869", "hi"},
  {"n LLLLVAR binary prefix", spec(CT::n, LT::llllvar, 9999, PE::binary, CE::ascii), "7", "000137", "7"},
  {"n fixed bcd odd", spec(CT::n, LT::fixed, 3, PE::ascii, CE::bcd), "123", "0123", "123"},
  {"n fixed bcd left-padded", spec(CT::n, LT::fixed, 6, PE::ascii, CE::bcd, Padding::left, '0'), "42", "000042", "000042"},
  {"z LLVAR bcd with D", spec(CT::z, LT::llvar, 37, PE::bcd, CE::bcd), "1234D56", "071234D56F", "1234D56"},
  {"z LLVAR bcd with =", spec(CT::z, LT::llvar, 37, PE::bcd, CE::bcd), "12=4", "0412D4", "12D4"},
  {"z LLVAR ascii", spec(CT::z, LT::llvar, 37, PE::ascii, CE::ascii), "1234=56", "303731323334" "3D3536", "1234=56"},
  {"n fixed ebcdic", spec(CT::n, LT::fixed, 4, PE::ascii, CE::ebcdic), "0123", "F0F1F2F3", "0123"},
  {"ans LLLVAR ebcdic", spec(CT::ans, LT::lllvar, 999, PE::ascii, CE::ebcdic), "Hi 1", "303034C88940F1", "Hi 1"},
  {"an fixed ebcdic right-padded", spec(CT::an, LT::fixed, 4, PE::ascii, CE::ebcdic, Padding::right, ' '), "A", "C1404040", "A   "},
  {"z LLVAR ebcdic", spec(CT::z, LT::llvar, 37, PE::bcd, CE::ebcdic), "1=D", "03F17EC4", "1=D"},
  {"b fixed binary", spec(CT::b, LT::fixed, 4, PE::ascii, CE::binary), std::string("\x00\xFF\x10\x80", 4), "00FF1080", std::string("\x00\xFF\x10\x80", 4)},
  {"b LLVAR binary", spec(CT::b, LT::llvar, 99, PE::binary, CE::binary), "\x01\x02", "020102", "\x01\x02"},
  {"b LLLVAR ascii prefix", spec(CT::b, LT::lllvar, 999, PE::ascii, CE::binary), "\xAB", "303031AB", "\xAB"},
};
// clang-format on

// Each case as field 48 of an 0100, in two dialects: ascii MTI with binary
// bitmap, and bcd MTI with hex-ascii bitmap (so those encodings round-trip too).
TEST(RoundTrip, EveryTypeAndEncoding) {
  for (const RoundTrip& c : cases) {
    for (const bool bcd_header : {false, true}) {
      SCOPED_TRACE(std::string(c.name) + (bcd_header ? " (bcd MTI, hex bitmap)" : ""));
      Dialect d;
      ASSERT_EQ(d.define(48, c.spec), "");
      std::string header = "0100" + test::bitmap({48});
      if (bcd_header) {
        d.mti_encoding = MtiEncoding::bcd;
        d.bitmap_encoding = BitmapEncoding::hex_ascii;
        header = std::string("\x01\x00", 2) + "0000000000010000";
      }
      FieldValues v;
      v.set_mti("0100");
      v.set(48, c.text);
      std::array<std::byte, 16384> out{};
      const PackResult r = pack(d, v, out);
      ASSERT_TRUE(r.error.ok()) << name(r.error.code);
      const std::string packed(reinterpret_cast<const char*>(out.data()), r.size);
      EXPECT_EQ(packed, header + unhex(c.wire_hex));

      MessageView view;
      const CodecError err = unpack(d, packed, view);
      ASSERT_TRUE(err.ok()) << name(err.code) << " at " << err.offset;
      EXPECT_EQ(view.mti(), "0100");
      std::array<char, constants::iso_field_length_max> text{};
      EXPECT_EQ(field_text(d, view, 48, text), c.text_back);
    }
  }
}

// field_text_within: every case's text when `out` holds it exactly, nothing
// when `out` is one short (the decode would pass its end) or the field is
// absent.
TEST(RoundTrip, FieldTextWithinGivesNothingThatDoesNotFit) {
  for (const RoundTrip& c : cases) {
    SCOPED_TRACE(c.name);
    Dialect d;
    ASSERT_EQ(d.define(48, c.spec), "");
    FieldValues v;
    v.set_mti("0100");
    v.set(48, c.text);
    std::array<std::byte, 16384> out{};
    const PackResult r = pack(d, v, out);
    ASSERT_TRUE(r.error.ok()) << name(r.error.code);
    MessageView view;
    ASSERT_TRUE(unpack(d, std::span<const std::byte>(out.data(), r.size), view).ok());
    std::string room(c.text_back.size(), '\0');
    const std::optional<std::string_view> fits = field_text_within(d, view, 48, room);
    ASSERT_TRUE(fits.has_value());
    EXPECT_EQ(*fits, c.text_back);
    if (!c.text_back.empty()) {
      EXPECT_FALSE(field_text_within(d, view, 48, std::span<char>(room.data(), room.size() - 1)).has_value());
    }
    EXPECT_FALSE(field_text_within(d, view, 49, room).has_value());
  }
}

TEST(RoundTrip, LongestLllvarField) {
  const std::string text(999, 'Z');
  FieldValues v;
  v.set_mti("0100");
  v.set(48, text);
  std::array<std::byte, 2048> out{};
  const PackResult r = pack(Dialect::iso87_ascii(), v, out);
  ASSERT_TRUE(r.error.ok());
  MessageView view;
  ASSERT_TRUE(unpack(Dialect::iso87_ascii(), std::span<const std::byte>(out.data(), r.size), view).ok());
  EXPECT_EQ(view.wire(48), text);
  EXPECT_EQ(view.length(48), 999u);
}

TEST(RoundTrip, AllFieldsOfTheBuiltInDialect) {
  // Every field 2..128 at its maximum length, text chosen per type.
  const Dialect& d = Dialect::iso87_ascii();
  std::array<std::string, field_slots> texts;
  FieldValues v;
  v.set_mti("0200");
  for (int f = first_data_field; f <= last_data_field; ++f) {
    const FieldSpec& s = d.field(f);
    const std::size_t len = s.length_type == LengthType::fixed ? s.max_length : std::min<std::size_t>(s.max_length, 30);
    const char fill = s.type == ContentType::n || s.type == ContentType::z ? '7' : s.type == ContentType::b ? '\x9c' : 'q';
    texts[static_cast<std::size_t>(f)] = std::string(len, fill);
    v.set(f, texts[static_cast<std::size_t>(f)]);
  }
  std::array<std::byte, 8192> out{};
  const PackResult r = pack(d, v, out);
  ASSERT_TRUE(r.error.ok()) << name(r.error.code) << " field " << r.error.field;
  MessageView view;
  ASSERT_TRUE(unpack(d, std::span<const std::byte>(out.data(), r.size), view).ok());
  for (int f = first_data_field; f <= last_data_field; ++f) {
    EXPECT_EQ(view.wire(f), texts[static_cast<std::size_t>(f)]) << "field " << f;
  }
}

}  // namespace
}  // namespace authswitch::codec
