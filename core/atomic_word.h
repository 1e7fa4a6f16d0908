// Single-word loads and stores through std::atomic_ref.
//
// Shared state (limit slots, balances, the transaction table) is made of plain
// integers so that whole tables can come zero-filled from mmap and be compared
// or copied in tests; every access another thread may race with goes through
// these helpers, so the data is never read torn and ThreadSanitizer sees the
// accesses as atomic.
//
// Loads are acquire and stores release. On x86-64 both are plain moves (total
// store order), so they cost what relaxed ones would; and they are what lets
// the seqlock (seqlock.h) work without std::atomic_thread_fence, which
// ThreadSanitizer does not support.
#pragma once

#include <atomic>

namespace authswitch::core {

template <class T>
[[nodiscard]] inline T load_acquire(const T& x) noexcept {
  return std::atomic_ref<T>(const_cast<T&>(x)).load(std::memory_order_acquire);
}

template <class T>
inline void store_release(T& x, T v) noexcept {
  std::atomic_ref<T>(x).store(v, std::memory_order_release);
}

}  // namespace authswitch::core
