// The built-in iso87-ascii dialect is the SPEC 1 dictionary.
#include <gtest/gtest.h>

#include "codec/dialect.h"

namespace authswitch::codec {
namespace {

using CT = ContentType;
using LT = LengthType;

struct Expected {
  int field;
  CT type;
  LT length_type;
  int max_length;
};

// SPEC 1's table of the fields the switch reads or writes, plus 35, 52, 64, 128.
// clang-format off
const Expected spec_fields[] = {
  {2, CT::n, LT::llvar, 19}, {3, CT::n, LT::fixed, 6}, {4, CT::n, LT::fixed, 12}, {6, CT::n, LT::fixed, 12},
  {7, CT::n, LT::fixed, 10}, {11, CT::n, LT::fixed, 6}, {12, CT::n, LT::fixed, 6}, {13, CT::n, LT::fixed, 4},
  {14, CT::n, LT::fixed, 4}, {18, CT::n, LT::fixed, 4}, {22, CT::n, LT::fixed, 3}, {32, CT::n, LT::llvar, 11},
  {35, CT::z, LT::llvar, 37}, {37, CT::an, LT::fixed, 12}, {38, CT::an, LT::fixed, 6}, {39, CT::an, LT::fixed, 2},
  {41, CT::ans, LT::fixed, 8}, {42, CT::ans, LT::fixed, 15}, {43, CT::ans, LT::fixed, 40}, {44, CT::ans, LT::llvar, 25},
  {49, CT::n, LT::fixed, 3}, {51, CT::n, LT::fixed, 3}, {52, CT::b, LT::fixed, 8}, {54, CT::an, LT::lllvar, 120},
  {64, CT::b, LT::fixed, 8}, {70, CT::n, LT::fixed, 3}, {90, CT::n, LT::fixed, 42}, {95, CT::an, LT::fixed, 42},
  {128, CT::b, LT::fixed, 8},
};
// clang-format on

TEST(Iso87Ascii, MatchesTheSpecTable) {
  const Dialect& d = Dialect::iso87_ascii();
  for (const Expected& e : spec_fields) {
    const FieldSpec& s = d.field(e.field);
    EXPECT_EQ(s.type, e.type) << e.field;
    EXPECT_EQ(s.length_type, e.length_type) << e.field;
    EXPECT_EQ(s.max_length, e.max_length) << e.field;
    EXPECT_EQ(s.prefix, PrefixEncoding::ascii) << e.field;
    EXPECT_EQ(s.encoding, e.type == CT::b ? ContentEncoding::binary : ContentEncoding::ascii) << e.field;
  }
}

TEST(Iso87Ascii, KnowsEveryFieldOf1987) {
  const Dialect& d = Dialect::iso87_ascii();
  for (int f = first_data_field; f <= last_data_field; ++f) EXPECT_TRUE(d.field(f).defined) << f;
  EXPECT_EQ(d.mti_encoding, MtiEncoding::ascii);
  EXPECT_EQ(d.bitmap_encoding, BitmapEncoding::binary);
  EXPECT_EQ(d.secondary_bitmap, SecondaryBitmap::when_needed);
  EXPECT_EQ(d.name(), "iso87-ascii");
}

TEST(FieldSpecCheck, RefusesInconsistentSpecs) {
  const FieldSpec good{true, CT::n, LT::llvar, 19, PrefixEncoding::ascii, ContentEncoding::ascii, Padding::none, ' '};
  EXPECT_EQ(check_field_spec(good), "");
  struct Case {
    const char* name;
    FieldSpec spec;
  };
  FieldSpec over = good;
  over.max_length = 100;
  FieldSpec zero = good;
  zero.max_length = 0;
  FieldSpec b_ascii = good;
  b_ascii.type = CT::b;
  FieldSpec n_binary = good;
  n_binary.encoding = ContentEncoding::binary;
  FieldSpec ans_bcd = good;
  ans_bcd.type = CT::ans;
  ans_bcd.encoding = ContentEncoding::bcd;
  FieldSpec padded_var = good;
  padded_var.padding = Padding::left;
  padded_var.pad_char = '0';
  FieldSpec n_space = good;
  n_space.length_type = LT::fixed;
  n_space.padding = Padding::left;
  n_space.pad_char = ' ';
  FieldSpec b_padded{true, CT::b, LT::fixed, 8, PrefixEncoding::ascii, ContentEncoding::binary, Padding::right, ' '};
  FieldSpec control_pad{true, CT::ans, LT::fixed, 8, PrefixEncoding::ascii, ContentEncoding::ascii, Padding::right, '\n'};
  for (const Case& c : {Case{"LLVAR max 100", over}, Case{"max 0", zero}, Case{"b in ascii", b_ascii},
                        Case{"n in binary", n_binary}, Case{"ans in bcd", ans_bcd}, Case{"padded LLVAR", padded_var},
                        Case{"n padded with space", n_space}, Case{"b padded", b_padded},
                        Case{"control pad_char", control_pad}}) {
    EXPECT_NE(check_field_spec(c.spec), "") << c.name;
    Dialect d;
    EXPECT_NE(d.define(2, c.spec), "") << c.name;
    EXPECT_FALSE(d.field(2).defined) << c.name;
  }
}

}  // namespace
}  // namespace authswitch::codec
