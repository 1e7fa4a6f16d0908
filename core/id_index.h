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

namespace authswitch::core {

class IdIndex {
 public:
  static constexpr std::uint32_t none = 0xffffffffu;

  // Adds `id` with the next dense index; nullopt if it is already there.
  [[nodiscard]] std::optional<std::uint32_t> insert(std::string_view id);
  [[nodiscard]] std::uint32_t find(std::string_view id) const noexcept;  // or none
  [[nodiscard]] std::string_view name(std::uint32_t index) const noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return offsets_.size(); }
  void reserve(std::size_t n);

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
