// Counts global operator new calls (alloc_counter.cpp replaces every form of
// it), so a test or a benchmark can prove a hot path allocates nothing. Link
// the as_alloc_counter library into a binary of its own: the replacement is
// process-wide.
#pragma once

#include <cstdint>

namespace authswitch::test {

[[nodiscard]] std::uint64_t allocations() noexcept;

}  // namespace authswitch::test
