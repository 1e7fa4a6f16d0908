// A set of field numbers as two bitmap words (bit 63 of words[0] is field
// 1, as on the wire), built at compile time: the fields a response echoes,
// the fields a rule requires. Membership and intersection are one AND.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "codec/format.h"

namespace authswitch::codec {

struct FieldSet {
  std::uint64_t words[2] = {0, 0};

  constexpr FieldSet() = default;
  constexpr FieldSet(std::initializer_list<int> fields) {
    for (const int f : fields) add(f);
  }
  constexpr void add(int field) { words[field <= 64 ? 0 : 1] |= std::uint64_t{1} << (63 - ((field - 1) & 63)); }
  [[nodiscard]] constexpr bool contains(int field) const {
    return (words[field <= 64 ? 0 : 1] >> (63 - ((field - 1) & 63))) & 1u;
  }
};

static_assert(FieldSet{2, 65}.words[0] == (std::uint64_t{1} << 62));
static_assert(FieldSet{2, 65}.words[1] == (std::uint64_t{1} << 63));

}  // namespace authswitch::codec
