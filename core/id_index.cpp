#include "core/id_index.h"

#include <sys/mman.h>

#include <bit>
#include <cstdint>
#include <cstring>

#include "core/assert.h"
#include "core/constants.h"

namespace authswitch::core {

namespace {
std::uint64_t load8(const char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}
std::uint64_t load4(const char* p) noexcept {
  std::uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}
std::uint64_t mix(std::uint64_t h, std::uint64_t w) noexcept {
  h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 31);
}
}  // namespace

// Ids are short (<= 64 bytes, typically under 16): eight bytes a step and one
// overlapping load for the tail, ~15 instructions for "c123456" where
// std::hash (murmur, byte tail loop) took ~60.
std::uint32_t IdIndex::hash(std::string_view id) noexcept {
  const char* p = id.data();
  std::size_t n = id.size();
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
  while (n > 8) {
    h = mix(h, load8(p));
    p += 8;
    n -= 8;
  }
  if (n >= 4) {
    h = mix(h, load4(p) | load4(p + n - 4) << 32);
  } else if (n > 0) {
    h = mix(h, static_cast<std::uint64_t>(static_cast<unsigned char>(p[0])) |
                   static_cast<std::uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8 |
                   static_cast<std::uint64_t>(static_cast<unsigned char>(p[n - 1])) << 16);
  }
  h *= 0x94d049bb133111ebull;
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

namespace {
// Ten million ids are a 256 MiB table probed at random: on 4 KiB pages each
// probe is a TLB miss too. Asks for huge pages over the whole 2 MiB pages
// inside [p, p + bytes), before the first write faults them in.
void advise_huge_pages(void* p, std::size_t bytes) noexcept {
  constexpr std::uintptr_t huge = 2u << 20;
  const auto begin = (reinterpret_cast<std::uintptr_t>(p) + huge - 1) & ~(huge - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(huge - 1);
  if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}
}  // namespace

void IdIndex::reserve(std::size_t n, std::size_t bytes) {
  offsets_.reserve(n);
  arena_.reserve(bytes != 0 ? bytes : n * 8);
  const std::size_t want = std::bit_ceil(n * 2 + 16);
  if (want > buckets_.size()) {
    std::vector<Bucket> old;
    old.swap(buckets_);
    buckets_.reserve(want);
    advise_huge_pages(buckets_.data(), want * sizeof(Bucket));
    buckets_.assign(want, Bucket{});
    for (const Bucket& b : old) {
      if (b.index == none) continue;
      std::size_t i = b.hash & (buckets_.size() - 1);
      while (buckets_[i].index != none) i = (i + 1) & (buckets_.size() - 1);
      buckets_[i] = b;
    }
  }
}

void IdIndex::grow() { reserve(buckets_.empty() ? 16 : buckets_.size()); }

std::size_t IdIndex::probe(std::string_view id, std::uint32_t hash) const noexcept {
  const std::size_t mask = buckets_.size() - 1;
  std::size_t i = hash & mask;
  while (true) {
    const Bucket& b = buckets_[i];
    if (b.index == none) return i;
    if (b.hash == hash && name(b.index) == id) return i;
    i = (i + 1) & mask;
  }
}

std::optional<std::uint32_t> IdIndex::insert(std::string_view id, std::uint32_t h) {
  AS_ASSERT(id.size() <= constants::account_id_bytes_max);
  if ((offsets_.size() + 1) * 2 > buckets_.size()) grow();
  const std::size_t i = probe(id, h);
  if (buckets_[i].index != none) return std::nullopt;
  const auto index = static_cast<std::uint32_t>(offsets_.size());
  offsets_.push_back(static_cast<std::uint64_t>(arena_.size()) << 8 | id.size());
  arena_.append(id);
  buckets_[i] = Bucket{h, index};
  return index;
}

std::uint32_t IdIndex::find(std::string_view id, std::uint32_t h) const noexcept {
  if (buckets_.empty()) return none;
  return buckets_[probe(id, h)].index;
}

std::string_view IdIndex::name(std::uint32_t index) const noexcept {
  if (index >= offsets_.size()) return {};
  const std::uint64_t o = offsets_[index];
  return std::string_view{arena_}.substr(o >> 8, o & 0xff);
}

}  // namespace authswitch::core
