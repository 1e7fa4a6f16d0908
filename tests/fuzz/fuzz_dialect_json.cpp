// Any field-spec text either fails with an error naming a path, or gives a
// dialect that writes out and reads back the same.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "codec/dialect_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace authswitch::codec;
  const DialectResult r = parse_dialect(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!r.dialect) {
    if (r.error.empty()) std::abort();
    return 0;
  }
  const DialectResult again = parse_dialect(dialect_to_json(*r.dialect));
  if (!again.dialect || !(*again.dialect == *r.dialect)) std::abort();
  return 0;
}
