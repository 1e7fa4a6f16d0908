// How gtest prints codec values in failure messages.
#pragma once

#include <ostream>

#include "codec/error.h"

namespace authswitch::codec {

inline void PrintTo(const CodecError& e, std::ostream* os) {
  *os << name(e.code) << " field " << e.field << " offset " << e.offset;
}

}  // namespace authswitch::codec
