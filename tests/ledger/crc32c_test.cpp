#include "ledger/crc32c.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "ledger/record_format.h"

namespace authswitch::ledger {
namespace {

struct Vector {
  const char* name;
  std::array<unsigned char, 32> bytes;
  std::size_t size;
  std::uint32_t crc;
};

// RFC 3720 (iSCSI) appendix B.4 and the classic check value.
std::vector<Vector> known_vectors() {
  std::vector<Vector> v;
  Vector zeros{"32 zeros", {}, 32, 0x8a9136aau};
  v.push_back(zeros);
  Vector ones{"32 x 0xff", {}, 32, 0x62a8ab43u};
  ones.bytes.fill(0xff);
  v.push_back(ones);
  Vector up{"0..31", {}, 32, 0x46dd794eu};
  for (unsigned i = 0; i < 32; ++i) up.bytes[i] = static_cast<unsigned char>(i);
  v.push_back(up);
  Vector down{"31..0", {}, 32, 0x113fdb5cu};
  for (unsigned i = 0; i < 32; ++i) down.bytes[i] = static_cast<unsigned char>(31 - i);
  v.push_back(down);
  Vector check{"123456789", {}, 9, 0xe3069283u};
  std::memcpy(check.bytes.data(), "123456789", 9);
  v.push_back(check);
  return v;
}

TEST(Crc32c, PortableMatchesKnownVectors) {
  for (const Vector& v : known_vectors()) {
    EXPECT_EQ(crc32c_extend_portable(0, v.bytes.data(), v.size), v.crc) << v.name;
  }
}

TEST(Crc32c, HardwareMatchesKnownVectors) {
  if (!crc32c_hardware_available()) GTEST_SKIP() << "CPU has no SSE4.2";
  for (const Vector& v : known_vectors()) {
    EXPECT_EQ(crc32c_extend_hardware(0, v.bytes.data(), v.size), v.crc) << v.name;
  }
}

TEST(Crc32c, DispatchedMatchesKnownVectors) {
  for (const Vector& v : known_vectors()) EXPECT_EQ(crc32c(v.bytes.data(), v.size), v.crc) << v.name;
}

TEST(Crc32c, ExtendEqualsOneShotAtEverySplit) {
  unsigned char data[203];
  for (std::size_t i = 0; i < sizeof data; ++i) data[i] = static_cast<unsigned char>(i * 37 + 11);
  const std::uint32_t whole = crc32c_extend_portable(0, data, sizeof data);
  for (std::size_t split = 0; split <= sizeof data; ++split) {
    EXPECT_EQ(crc32c_extend(crc32c_extend(0, data, split), data + split, sizeof data - split), whole) << split;
    if (crc32c_hardware_available()) {
      EXPECT_EQ(crc32c_extend_hardware(crc32c_extend_hardware(0, data, split), data + split, sizeof data - split),
                whole)
          << split;
    }
  }
}

TEST(Crc32c, MaskIsReversibleAndChangesTheValue) {
  const std::uint32_t crc = crc32c("foo", 3);
  EXPECT_NE(format::mask_crc(crc), crc);
  EXPECT_NE(format::mask_crc(format::mask_crc(crc)), format::mask_crc(crc));
  EXPECT_EQ(format::unmask_crc(format::mask_crc(crc)), crc);
  EXPECT_EQ(format::unmask_crc(format::unmask_crc(format::mask_crc(format::mask_crc(crc)))), crc);
}

}  // namespace
}  // namespace authswitch::ledger
