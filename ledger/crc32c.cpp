#include "ledger/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace authswitch::ledger {
namespace {

// Reflected Castagnoli polynomial.
constexpr std::uint32_t poly = 0x82f63b78u;

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? (c >> 1) ^ poly : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<std::uint32_t, 256> table = make_table();

using ExtendFn = std::uint32_t (*)(std::uint32_t, const void*, std::size_t) noexcept;

ExtendFn pick() noexcept {
  return crc32c_hardware_available() ? &crc32c_extend_hardware : &crc32c_extend_portable;
}

}  // namespace

std::uint32_t crc32c_extend_portable(std::uint32_t crc, const void* data, std::size_t n) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint32_t c = ~crc;
  for (std::size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xffu] ^ (c >> 8);
  return ~c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t crc32c_extend_hardware(std::uint32_t crc, const void* data,
                                                                        std::size_t n) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t c = ~crc;
  while (n >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);
    c = _mm_crc32_u64(c, word);
    p += 8;
    n -= 8;
  }
  auto c32 = static_cast<std::uint32_t>(c);
  while (n > 0) {
    c32 = _mm_crc32_u8(c32, *p);
    ++p;
    --n;
  }
  return ~c32;
}

bool crc32c_hardware_available() noexcept { return __builtin_cpu_supports("sse4.2"); }
#else
std::uint32_t crc32c_extend_hardware(std::uint32_t crc, const void* data, std::size_t n) noexcept {
  return crc32c_extend_portable(crc, data, n);
}
bool crc32c_hardware_available() noexcept { return false; }
#endif

std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t n) noexcept {
  // A function-local static: initialised once, thread-safely, then one
  // indirect call per CRC.
  static const ExtendFn fn = pick();
  return fn(crc, data, n);
}

}  // namespace authswitch::ledger
