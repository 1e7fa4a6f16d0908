// Field-spec JSON: the shipped file is the built-in table; errors name the
// JSON path at fault.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "codec/dialect_json.h"

namespace authswitch::codec {
namespace {

const std::string spec_file = std::string(AUTHSWITCH_SOURCE_DIR) + "/codec/specs/iso87-ascii.json";

TEST(DialectJson, ShippedFileEqualsTheBuiltInTable) {
  const DialectResult loaded = load_dialect(spec_file);
  ASSERT_TRUE(loaded.dialect.has_value()) << loaded.error;
  EXPECT_TRUE(*loaded.dialect == Dialect::iso87_ascii());
  EXPECT_EQ(loaded.dialect->name(), "iso87-ascii");
  // And byte for byte what the table writes out, so neither drifts.
  std::ifstream in(spec_file);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), dialect_to_json(Dialect::iso87_ascii()));
}

TEST(DialectJson, CustomDialectRoundTrips) {
  Dialect d;
  d.set_name("bcd-\"net\"");
  d.mti_encoding = MtiEncoding::bcd;
  d.bitmap_encoding = BitmapEncoding::hex_ascii;
  d.secondary_bitmap = SecondaryBitmap::always;
  ASSERT_EQ(d.define(2, {true, ContentType::n, LengthType::llvar, 19, PrefixEncoding::bcd, ContentEncoding::bcd,
                         Padding::none, ' '}), "");
  ASSERT_EQ(d.define(43, {true, ContentType::ans, LengthType::fixed, 40, PrefixEncoding::ascii,
                          ContentEncoding::ebcdic, Padding::right, '"'}), "");
  ASSERT_EQ(d.define(127, {true, ContentType::b, LengthType::llllvar, 9999, PrefixEncoding::binary,
                           ContentEncoding::binary, Padding::none, ' '}), "");
  const DialectResult back = parse_dialect(dialect_to_json(d));
  ASSERT_TRUE(back.dialect.has_value()) << back.error;
  EXPECT_TRUE(*back.dialect == d);
  EXPECT_EQ(back.dialect->name(), "bcd-\"net\"");
  EXPECT_FALSE(back.dialect->field(3).defined);
}

// Found by fuzz_dialect_json: a name read with a \r escape was written back
// with a raw carriage return, which is not JSON.
TEST(DialectJson, NamesWithControlCharactersRoundTrip) {
  Dialect d;
  const std::string name = std::string("net\\\r\t\"x") + '\x01' + '\x1f';
  d.set_name(name);
  const std::string json = dialect_to_json(d);
  EXPECT_EQ(json.find('\r'), std::string::npos) << json;
  const DialectResult back = parse_dialect(json);
  ASSERT_TRUE(back.dialect.has_value()) << back.error << "\n" << json;
  EXPECT_EQ(back.dialect->name(), name);
}

TEST(DialectJson, DefaultsForLeftOutKeys) {
  const DialectResult r = parse_dialect(
      R"({"fields":[{"number":52,"content_type":"b","length_type":"fixed","max_length":8},
                    {"number":3,"content_type":"n","length_type":"fixed","max_length":6}]})");
  ASSERT_TRUE(r.dialect.has_value()) << r.error;
  EXPECT_EQ(r.dialect->field(52).encoding, ContentEncoding::binary);
  EXPECT_EQ(r.dialect->field(3).encoding, ContentEncoding::ascii);
  EXPECT_EQ(r.dialect->field(3).padding, Padding::none);
  EXPECT_EQ(r.dialect->mti_encoding, MtiEncoding::ascii);
  EXPECT_EQ(r.dialect->secondary_bitmap, SecondaryBitmap::when_needed);
}

struct JsonErrorCase {
  const char* json;
  const char* error_start;
};

#define FIELD(extra) R"({"fields":[{"number":2,"content_type":"n","length_type":"LLVAR","max_length":19)" extra "}]}"

TEST(DialectJson, ErrorsNameThePath) {
  // clang-format off
  const JsonErrorCase cases[] = {
    {"{", "not valid JSON"},
    {"[]", "top level: must be an object"},
    {R"({"name":"x"})", "fields: missing"},
    {R"({"fields":[],"colour":"red"})", "colour: unknown key"},
    {R"({"fields":{}})", "fields: must be an array"},
    {R"({"fields":[],"mti_encoding":"ebcdic"})", "mti_encoding: must be one of ascii, bcd"},
    {R"({"fields":[],"bitmap_encoding":"hex"})", "bitmap_encoding: must be one of binary, hex-ascii"},
    {R"({"fields":[],"secondary_bitmap":true})", "secondary_bitmap: must be one of auto, always"},
    {R"({"fields":[7]})", "fields[0]: must be an object"},
    {R"({"fields":[{"number":1,"content_type":"b","length_type":"fixed","max_length":8}]})", "fields[0].number: must be 2..128"},
    {R"({"fields":[{"number":"2"}]})", "fields[0].number: must be an integer"},
    {R"({"fields":[{"number":2,"content_type":"n","length_type":"LLVAR"}]})", "fields[0]: missing max_length"},
    {FIELD(R"(,"colour":1)"), "fields[0].colour: unknown key"},
    {FIELD(R"(,"content_encoding":"utf8")"), "fields[0].content_encoding: must be one of ascii, bcd, ebcdic, binary"},
    {FIELD(R"(,"prefix_encoding":"hex")"), "fields[0].prefix_encoding: must be one of ascii, bcd, binary"},
    {FIELD(R"(,"padding":"left")"), "fields[0]: padding needs pad_char"},
    {FIELD(R"(,"pad_char":"00")"), "fields[0].pad_char: must be a string of one character"},
    {R"({"fields":[{"number":2,"content_type":"x","length_type":"LLVAR","max_length":19}]})", "fields[0].content_type: must be one of n, a, an, ans, b, z"},
    {R"({"fields":[{"number":2,"content_type":"n","length_type":"VAR","max_length":19}]})", "fields[0].length_type: must be one of fixed, LLVAR, LLLVAR, LLLLVAR"},
    {R"({"fields":[{"number":2,"content_type":"n","length_type":"LLVAR","max_length":100}]})", "fields[0] (field 2): max_length must be"},
    {R"({"fields":[{"number":2,"content_type":"n","length_type":"LLVAR","max_length":0}]})", "fields[0].max_length: must be 1..9999"},
    {R"({"fields":[{"number":2,"content_type":"ans","length_type":"LLVAR","max_length":9,"content_encoding":"bcd"}]})", "fields[0] (field 2): only n and z fields can be bcd encoded"},
    {R"({"fields":[{"number":3,"content_type":"n","length_type":"fixed","max_length":6},
                   {"number":3,"content_type":"n","length_type":"fixed","max_length":6}]})", "fields[1].number: field 3 defined twice"},
  };
  // clang-format on
  for (const JsonErrorCase& c : cases) {
    const DialectResult r = parse_dialect(c.json);
    EXPECT_FALSE(r.dialect.has_value()) << c.json;
    EXPECT_EQ(r.error.rfind(c.error_start, 0), 0u) << "got: " << r.error << "\nfor: " << c.json;
  }
}

TEST(DialectJson, MissingFileNamesThePath) {
  const DialectResult r = load_dialect("/nonexistent/spec.json");
  EXPECT_FALSE(r.dialect.has_value());
  EXPECT_EQ(r.error, "/nonexistent/spec.json: cannot read the file");
}

TEST(DialectJson, SpecNamesTheBuiltInOrAFile) {
  const DialectResult builtin = dialect_from_spec("iso87-ascii");
  ASSERT_TRUE(builtin.dialect.has_value());
  EXPECT_TRUE(*builtin.dialect == Dialect::iso87_ascii());
  const DialectResult file = dialect_from_spec(spec_file);
  ASSERT_TRUE(file.dialect.has_value()) << file.error;
  EXPECT_FALSE(dialect_from_spec("/nonexistent.json").dialect.has_value());
}

}  // namespace
}  // namespace authswitch::codec
