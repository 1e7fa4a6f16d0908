// Hand-made messages for tests: exact bytes, so each error case can aim at
// one branch.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

namespace authswitch::codec::test {

// Binary bitmap(s) with `fields` set; a secondary bitmap (bit 1) when a field
// above 64 is named or `secondary` says so.
inline std::string bitmap(std::initializer_list<int> fields, bool secondary = false) {
  std::uint64_t words[2] = {0, 0};
  for (const int f : fields) {
    words[f <= 64 ? 0 : 1] |= std::uint64_t{1} << (63 - ((f - 1) & 63));
    if (f > 64) secondary = true;
  }
  if (secondary) words[0] |= std::uint64_t{1} << 63;
  std::string out;
  for (int w = 0; w < (secondary ? 2 : 1); ++w) {
    for (int i = 7; i >= 0; --i) out += static_cast<char>((words[w] >> (8 * i)) & 0xff);
  }
  return out;
}

}  // namespace authswitch::codec::test
