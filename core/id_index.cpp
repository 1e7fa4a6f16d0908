#include "core/id_index.h"

#include <bit>
#include <functional>

#include "core/assert.h"
#include "core/constants.h"

namespace authswitch::core {

namespace {
std::uint32_t hash_id(std::string_view id) noexcept {
  const std::size_t h = std::hash<std::string_view>{}(id);
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}
}  // namespace

void IdIndex::reserve(std::size_t n) {
  offsets_.reserve(n);
  arena_.reserve(n * 8);
  const std::size_t want = std::bit_ceil(n * 2 + 16);
  if (want > buckets_.size()) {
    std::vector<Bucket> old;
    old.swap(buckets_);
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

std::optional<std::uint32_t> IdIndex::insert(std::string_view id) {
  AS_ASSERT(id.size() <= constants::account_id_bytes_max);
  if ((offsets_.size() + 1) * 2 > buckets_.size()) grow();
  const std::uint32_t h = hash_id(id);
  const std::size_t i = probe(id, h);
  if (buckets_[i].index != none) return std::nullopt;
  const auto index = static_cast<std::uint32_t>(offsets_.size());
  offsets_.push_back(static_cast<std::uint64_t>(arena_.size()) << 8 | id.size());
  arena_.append(id);
  buckets_[i] = Bucket{h, index};
  return index;
}

std::uint32_t IdIndex::find(std::string_view id) const noexcept {
  if (buckets_.empty()) return none;
  return buckets_[probe(id, hash_id(id))].index;
}

std::string_view IdIndex::name(std::uint32_t index) const noexcept {
  if (index >= offsets_.size()) return {};
  const std::uint64_t o = offsets_[index];
  return std::string_view{arena_}.substr(o >> 8, o & 0xff);
}

}  // namespace authswitch::core
