// Counts global operator new calls (tests/io/alloc_counter.cpp replaces it),
// so a test can prove a hot path allocates nothing.
#pragma once

#include <cstdint>

namespace authswitch::test {

[[nodiscard]] std::uint64_t allocations() noexcept;

}  // namespace authswitch::test
