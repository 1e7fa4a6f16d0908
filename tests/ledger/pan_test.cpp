#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "ledger/pan_cipher.h"
#include "ledger/pan_mask.h"
#include "tests/ledger/test_util.h"

namespace authswitch::ledger {
namespace {

using testing::TempDir;

constexpr std::string_view key_hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

// Each test sets the environment it needs and restores it.
class PanKeyTest : public ::testing::Test {
 protected:
  void SetUp() override { ::unsetenv(std::string(pan_key_env).c_str()); }
  void TearDown() override { ::unsetenv(std::string(pan_key_env).c_str()); }
};

TEST(PanMask, KeepsFirstSixAndLastFour) {
  EXPECT_EQ(mask_pan("4000001234567899").view(), "400000******7899");
  EXPECT_EQ(mask_pan("4000000000000002").view(), "400000******0002");
  EXPECT_EQ(mask_pan("1234567890123456789").view(), "123456*********6789");
  EXPECT_EQ(mask_pan("12345678901").view(), "123456*8901");
}

TEST(PanMask, ShortOrOverlongInputShowsNothingItShouldNot) {
  EXPECT_EQ(mask_pan("1234567890").view(), "**********");
  EXPECT_EQ(mask_pan("").view(), "");
  EXPECT_EQ(mask_pan("12345678901234567890123").view(), "123456*********6789");
}

TEST(PanKey, ParsesHex) {
  PanKey key{};
  EXPECT_TRUE(parse_pan_key_hex(std::string(key_hex) + "\n", key));
  EXPECT_EQ(key[0], 0x00);
  EXPECT_EQ(key[31], 0x1f);
  EXPECT_FALSE(parse_pan_key_hex(key_hex.substr(2), key));
  EXPECT_FALSE(parse_pan_key_hex(std::string("zz") + std::string(key_hex.substr(2)), key));
}

TEST_F(PanKeyTest, EncryptDecryptRoundTripInAFixedBlob) {
  PanKey key{};
  ASSERT_TRUE(parse_pan_key_hex(key_hex, key));
  const PanCipher cipher(key);
  EncryptedPan a{};
  EncryptedPan b{};
  ASSERT_TRUE(cipher.encrypt("4000001234567899", a));
  ASSERT_TRUE(cipher.encrypt("4000001234567899", b));
  EXPECT_NE(a, b) << "a fresh nonce each time";
  const std::string_view blob(reinterpret_cast<const char*>(a.data()), a.size());
  EXPECT_EQ(blob.find("4000001234567899"), std::string_view::npos);
  PlainPan plain;
  ASSERT_TRUE(cipher.decrypt(a, plain));
  EXPECT_EQ(plain.view(), "4000001234567899");
}

TEST_F(PanKeyTest, AlteredBlobOrWrongKeyIsRefused) {
  PanKey key{};
  ASSERT_TRUE(parse_pan_key_hex(key_hex, key));
  const PanCipher cipher(key);
  EncryptedPan blob{};
  ASSERT_TRUE(cipher.encrypt("4111111111111111", blob));
  PlainPan plain;
  for (std::size_t i = 0; i < blob.size(); i += 5) {
    EncryptedPan altered = blob;
    altered[i] ^= std::byte{1};
    EXPECT_EQ(cipher.decrypt(altered, plain).fault(), Fault::crypto) << "byte " << i;
  }
  PanKey other = key;
  other[0] ^= 1;
  EXPECT_EQ(PanCipher(other).decrypt(blob, plain).fault(), Fault::crypto);
}

TEST_F(PanKeyTest, RefusesWhatIsNotAPan) {
  PanKey key{};
  const PanCipher cipher(key);
  EncryptedPan blob{};
  EXPECT_EQ(cipher.encrypt("", blob).fault(), Fault::crypto);
  EXPECT_EQ(cipher.encrypt("12345678901234567890", blob).fault(), Fault::crypto);
  const Status s = cipher.encrypt("4000abc", blob);
  EXPECT_EQ(s.fault(), Fault::crypto);
  EXPECT_EQ(s.to_string().find("4000abc"), std::string::npos) << "errors never repeat the PAN";
}

TEST_F(PanKeyTest, ConfigFileComesFirst) {
  TempDir dir;
  testing::write_bytes(dir.file("k"), testing::payload_of(std::string(key_hex) + "\n"));
  ::chmod(dir.file("k").c_str(), 0600);
  ::setenv(std::string(pan_key_env).c_str(), "ff", 1);  // would be invalid; never read
  PanKey key{};
  PanKeyOrigin origin{};
  ASSERT_TRUE(PanCipher::load(dir.file("k"), dir.file("wal"), key, &origin));
  EXPECT_EQ(origin, PanKeyOrigin::config_file);
  EXPECT_EQ(key[1], 0x01);
}

TEST_F(PanKeyTest, BadConfigFileNamesTheFile) {
  TempDir dir;
  testing::write_bytes(dir.file("k"), testing::payload_of("not hex"));
  PanKey key{};
  const Status s = PanCipher::load(dir.file("k"), dir.file("wal"), key);
  EXPECT_EQ(s.fault(), Fault::bad_key);
  EXPECT_EQ(s.file(), dir.file("k"));
  EXPECT_EQ(PanCipher::load(dir.file("missing"), dir.file("wal"), key).fault(), Fault::bad_key);
}

TEST_F(PanKeyTest, EnvironmentWhenNoConfigFile) {
  TempDir dir;
  ::setenv(std::string(pan_key_env).c_str(), std::string(key_hex).c_str(), 1);
  PanKey key{};
  PanKeyOrigin origin{};
  ASSERT_TRUE(PanCipher::load("", dir.file("wal"), key, &origin));
  EXPECT_EQ(origin, PanKeyOrigin::environment);
  EXPECT_EQ(key[31], 0x1f);
  ::setenv(std::string(pan_key_env).c_str(), "abc", 1);
  EXPECT_EQ(PanCipher::load("", dir.file("wal"), key).fault(), Fault::bad_key);
}

TEST_F(PanKeyTest, GeneratesA0600KeyBesideTheLogOnceAndReusesIt) {
  TempDir dir;
  const std::string wal = dir.file("wal");
  PanKey first{};
  PanKeyOrigin origin{};
  ASSERT_TRUE(PanCipher::load("", wal, first, &origin));
  EXPECT_EQ(origin, PanKeyOrigin::generated);
  struct stat st {};
  ASSERT_EQ(::stat(join_path(wal, generated_key_name).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  PanKey second{};
  ASSERT_TRUE(PanCipher::load("", wal, second, &origin));
  EXPECT_EQ(origin, PanKeyOrigin::existing_generated);
  EXPECT_EQ(first, second);
}

}  // namespace
}  // namespace authswitch::ledger
