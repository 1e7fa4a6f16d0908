// Text conversions: hex, EBCDIC (code page 037), BCD.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "codec/text.h"

namespace authswitch::codec {
namespace {

TEST(Hex, EncodesLowerCase) {
  std::array<char, 8> out{};
  EXPECT_EQ(hex_encode(std::string("\x00\xab\x7f", 3), out), "00ab7f");
}

TEST(Hex, DecodesEitherCase) {
  std::array<char, 4> out{};
  ASSERT_EQ(hex_decode("00aBFf", out), std::optional<std::size_t>(3));
  EXPECT_EQ(std::string(out.data(), 3), std::string("\x00\xab\xff", 3));
}

TEST(Hex, RefusesBadInput) {
  std::array<char, 4> out{};
  EXPECT_FALSE(hex_decode("abc", out).has_value());        // odd length
  EXPECT_FALSE(hex_decode("0g", out).has_value());         // not hex
  EXPECT_FALSE(hex_decode("0011223344", out).has_value()); // does not fit
}

TEST(Ebcdic, IsABijectionThatRoundTrips) {
  for (int b = 0; b < 256; ++b) {
    EXPECT_EQ(latin1_to_ebcdic[ebcdic_to_latin1[static_cast<std::size_t>(b)]], b);
  }
  EXPECT_EQ(latin1_to_ebcdic['0'], 0xF0);
  EXPECT_EQ(latin1_to_ebcdic['A'], 0xC1);
  EXPECT_EQ(latin1_to_ebcdic[' '], 0x40);
  EXPECT_EQ(latin1_to_ebcdic['='], 0x7E);
}

TEST(Bcd, ReadsOddCountsFromTheRightNibble) {
  std::array<char, 8> out{};
  bcd_to_text(reinterpret_cast<const unsigned char*>("\x01\x23"), 3, ContentType::n, out.data());
  EXPECT_EQ(std::string(out.data(), 3), "123");
  bcd_to_text(reinterpret_cast<const unsigned char*>("\x12\xD4\x5F"), 5, ContentType::z, out.data());
  EXPECT_EQ(std::string(out.data(), 5), "12D45");
}

}  // namespace
}  // namespace authswitch::codec
