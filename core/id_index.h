// Interns account ids ("acme", "u1", "c1") into dense indices.
//
// Built by the loader and changed later only by the control thread (the HTTP
// API adding a card); the authorization hot path never touches it. Strings
// live in one arena and the table holds offsets, so ten million ids cost two
// allocations that grow geometrically, not ten million.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/prefetch.h"

namespace authswitch::core {

class IdIndex {
 public:
  static constexpr std::uint32_t none = 0xffffffffu;

  // Adds `id` with the next dense index; nullopt if it is already there.
  [[nodiscard]] std::optional<std::uint32_t> insert(std::string_view id) { return insert(id, hash(id)); }
  [[nodiscard]] std::uint32_t find(std::string_view id) const noexcept { return find(id, hash(id)); }  // or none
  [[nodiscard]] std::string_view name(std::uint32_t index) const noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return offsets_.size(); }
  // Room for `n` ids of `bytes` bytes in all (the loader knows both), so the
  // table never rehashes and the arena never moves while they go in.
  void reserve(std::size_t n, std::size_t bytes = 0);

  // The same with the hash computed by the caller: the loader hashes a few ids
  // ahead and prefetches their buckets, so the table's cache misses overlap.
  [[nodiscard]] static std::uint32_t hash(std::string_view id) noexcept;
  [[nodiscard]] std::optional<std::uint32_t> insert(std::string_view id, std::uint32_t hash);
  [[nodiscard]] std::uint32_t find(std::string_view id, std::uint32_t hash) const noexcept;
  void prefetch(std::uint32_t hash) const noexcept {
    if (!buckets_.empty()) prefetch_read(&buckets_[hash & (buckets_.size() - 1)]);
  }

 private:
  struct Bucket {
    std::uint32_t hash = 0;
    std::uint32_t index = none;
  };
  void grow();
  [[nodiscard]] std::size_t probe(std::string_view id, std::uint32_t hash) const noexcept;

  std::string arena_;
  std::vector<std::uint64_t> offsets_;  // per index: offset << 8 | length
  std::vector<Bucket> buckets_;
};

}  // namespace authswitch::core
