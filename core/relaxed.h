// Single-word loads and stores through std::atomic_ref.
//
// Shared state (limit slots, balances, the transaction table) is made of plain
// integers so that whole tables can come zero-filled from mmap and be compared
// or copied in tests; every access another thread may race with goes through
// these helpers, so the data is never read torn and ThreadSanitizer sees the
// accesses as atomic. Ordering comes from the seqlock or from an explicit
// acquire/release on a publishing word, never from these relaxed accesses.
#pragma once

#include <atomic>

namespace authswitch::core {

template <class T>
[[nodiscard]] inline T load_relaxed(const T& x) noexcept {
  return std::atomic_ref<T>(const_cast<T&>(x)).load(std::memory_order_relaxed);
}

template <class T>
inline void store_relaxed(T& x, T v) noexcept {
  std::atomic_ref<T>(x).store(v, std::memory_order_relaxed);
}

template <class T>
[[nodiscard]] inline T load_acquire(const T& x) noexcept {
  return std::atomic_ref<T>(const_cast<T&>(x)).load(std::memory_order_acquire);
}

template <class T>
inline void store_release(T& x, T v) noexcept {
  std::atomic_ref<T>(x).store(v, std::memory_order_release);
}

}  // namespace authswitch::core
