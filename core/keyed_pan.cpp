// SipHash-2-4, written from the paper's description ("SipHash: a fast
// short-input PRF", Aumasson and Bernstein, 2012, section 2).
#include "core/keyed_pan.h"

#include <bit>

namespace authswitch::core {

namespace {

struct SipState {
  std::uint64_t v0, v1, v2, v3;

  void round() noexcept {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }
  // c = 2 rounds per message word.
  void compress(std::uint64_t m) noexcept {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

std::uint64_t load_le64(const unsigned char* p) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 8; i-- > 0;) v = v << 8 | p[i];
  return v;
}

}  // namespace

std::uint64_t siphash24(const PanHashKey& key, const void* data, std::size_t n) noexcept {
  SipState s{key.k0 ^ 0x736f6d6570736575ull, key.k1 ^ 0x646f72616e646f6dull, key.k0 ^ 0x6c7967656e657261ull,
             key.k1 ^ 0x7465646279746573ull};
  const auto* p = static_cast<const unsigned char*>(data);
  const std::size_t whole = n - n % 8;
  for (std::size_t i = 0; i < whole; i += 8) s.compress(load_le64(p + i));
  // The last word: the 0..7 bytes left, and the length mod 256 in the top byte.
  std::uint64_t last = static_cast<std::uint64_t>(n & 0xff) << 56;
  for (std::size_t i = whole; i < n; ++i) last |= static_cast<std::uint64_t>(p[i]) << (8 * (i - whole));
  s.compress(last);
  // d = 4 finalisation rounds.
  s.v2 ^= 0xff;
  s.round();
  s.round();
  s.round();
  s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

Pan keyed_pan(Pan plain, const PanHashKey& key) noexcept {
  unsigned char in[9];
  for (std::size_t i = 0; i < 8; ++i) in[i] = static_cast<unsigned char>(plain.value >> (8 * i));
  in[8] = plain.digits;
  return Pan{siphash24(key, in, sizeof in), static_cast<std::uint8_t>(plain.digits | pan_keyed_flag)};
}

std::uint32_t pan_hash_key_id(const PanHashKey& key) noexcept {
  static constexpr char label[] = "authswitch-pan-hash-key-id";
  return static_cast<std::uint32_t>(siphash24(key, label, sizeof label - 1) >> 32);
}

}  // namespace authswitch::core
