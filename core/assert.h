// Assertions that stay on in release builds.
//
// Two error channels (see STYLE.md): a broken invariant is a bug and stops the
// process at once, before it can corrupt balances or the log; an operating
// error (bad input, full disk, a peer gone) is a returned value. AS_ASSERT is
// for the first kind only, and is cheap enough for the hot path: one
// predictable branch, the message built only on failure.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace authswitch {

[[noreturn, gnu::cold]] inline void assert_failed(const char* expr, const char* file, int line) noexcept {
  std::fprintf(stderr, "authswitch: assertion failed: %s at %s:%d\n", expr, file, line);
  std::abort();
}

}  // namespace authswitch

#define AS_ASSERT(expr) \
  (__builtin_expect(static_cast<bool>(expr), 1) ? static_cast<void>(0) \
                                                 : ::authswitch::assert_failed(#expr, __FILE__, __LINE__))
