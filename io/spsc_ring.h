// Bounded single-producer single-consumer ring (after rigtorp/SPSCQueue).
//
// Contract: exactly one thread calls the producer side (try_push,
// try_emplace) and exactly one thread calls the consumer side (front, pop,
// pop_batch) for the ring's whole life; size() and empty() may be called from
// either and are only a snapshot. The capacity is fixed at construction, which
// is the only allocation.
//
// Layout, one cache line each so the two threads never write the same line:
//
//   [ capacity_, slots_ ]           read-only after construction
//   [ write_index_, read_cache_ ]   producer's line
//   [ read_index_,  write_cache_ ]  consumer's line
//   [ padding ]                     keeps a neighbour off the consumer's line
//
// Each side caches the other side's index and reloads it (acquire) only when
// the cached copy says full (producer) or empty (consumer), so an uncontended
// push or pop touches no shared line but its own. Publishing is one release
// store. The slot array has a cache line of padding at each end for the same
// reason.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "core/assert.h"
#include "core/constants.h"

namespace authswitch::io {

template <typename T>
class SpscRing {
  static_assert(std::is_nothrow_destructible_v<T>, "slots are destroyed on the hot path");

 public:
  // capacity >= 1 items. One extra slot tells full from empty.
  explicit SpscRing(std::size_t capacity) : capacity_(capacity + 1) {
    AS_ASSERT(capacity >= 1);
    AS_ASSERT(capacity_ <= max_size() - 2 * padding_slots);
    slots_ = allocator_traits::allocate(allocator_, capacity_ + 2 * padding_slots);
    // Layout checks live here: the class is complete inside a member body.
    static_assert(alignof(SpscRing) == line);
    static_assert(sizeof(SpscRing) >= 4 * line);
  }

  ~SpscRing() {
    while (front() != nullptr) pop();
    allocator_traits::deallocate(allocator_, slots_, capacity_ + 2 * padding_slots);
  }

  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  // Producer. False when full; the item is not constructed then.
  template <typename... Args>
  [[nodiscard]] bool try_emplace(Args&&... args) noexcept(std::is_nothrow_constructible_v<T, Args&&...>) {
    static_assert(std::is_constructible_v<T, Args&&...>);
    const std::size_t write = write_index_.load(std::memory_order_relaxed);
    std::size_t next = write + 1;
    if (next == capacity_) next = 0;
    if (next == read_cache_) {
      read_cache_ = read_index_.load(std::memory_order_acquire);
      if (next == read_cache_) return false;
    }
    ::new (static_cast<void*>(&slots_[write + padding_slots])) T(std::forward<Args>(args)...);
    write_index_.store(next, std::memory_order_release);
    return true;
  }

  [[nodiscard]] bool try_push(const T& item) noexcept(std::is_nothrow_copy_constructible_v<T>) {
    return try_emplace(item);
  }
  [[nodiscard]] bool try_push(T&& item) noexcept(std::is_nothrow_move_constructible_v<T>) {
    return try_emplace(std::move(item));
  }

  // Consumer. The oldest item, read in place, or nullptr when empty. It stays
  // valid until pop().
  [[nodiscard]] T* front() noexcept {
    const std::size_t read = read_index_.load(std::memory_order_relaxed);
    if (read == write_cache_) {
      write_cache_ = write_index_.load(std::memory_order_acquire);
      if (read == write_cache_) return nullptr;
    }
    return std::launder(&slots_[read + padding_slots]);
  }

  // Consumer. Only after front() returned an item.
  void pop() noexcept {
    const std::size_t read = read_index_.load(std::memory_order_relaxed);
    AS_ASSERT(read != write_cache_);  // front() saw an item
    std::launder(&slots_[read + padding_slots])->~T();
    std::size_t next = read + 1;
    if (next == capacity_) next = 0;
    read_index_.store(next, std::memory_order_release);
  }

  // Consumer. Hands up to max_items items, oldest first, to consume(T&),
  // with at most two acquire loads of the producer's index and one release
  // store of ours for the whole batch (Aeron's bounded read). Returns the
  // count. pop_batch_ahead without the look-ahead: one walk serves both.
  template <typename Consume>
  std::size_t pop_batch(std::size_t max_items, Consume&& consume) noexcept {
    return pop_batch_ahead(max_items, [&consume](T& item, const auto&) { consume(item); });
  }

  // Consumer. pop_batch that also shows what comes next in the batch, for
  // prefetching: consume(T& item, Ahead ahead), where ahead(k) is the item k
  // places after `item` in this batch (read only, alive until its own turn)
  // or nullptr past the batch's end.
  template <typename Consume>
  std::size_t pop_batch_ahead(std::size_t max_items, Consume&& consume) noexcept {
    std::size_t read = read_index_.load(std::memory_order_relaxed);
    if (read == write_cache_) {
      write_cache_ = write_index_.load(std::memory_order_acquire);
      if (read == write_cache_) return 0;
    }
    std::size_t write = write_cache_;
    std::size_t available = write >= read ? write - read : capacity_ - read + write;
    if (available < max_items) {
      // The cached index may be stale: a longer batch reaches further ahead.
      write = write_cache_ = write_index_.load(std::memory_order_acquire);
      available = write >= read ? write - read : capacity_ - read + write;
    }
    const std::size_t total = available < max_items ? available : max_items;
    for (std::size_t count = 0; count < total; ++count) {
      T* item = std::launder(&slots_[read + padding_slots]);
      const auto ahead = [this, read, left = total - count - 1](std::size_t k) noexcept -> const T* {
        if (k > left) return nullptr;
        std::size_t at = read + k;
        if (at >= capacity_) at -= capacity_;
        return std::launder(&slots_[at + padding_slots]);
      };
      consume(*item, ahead);
      item->~T();
      ++read;
      if (read == capacity_) read = 0;
    }
    if (total != 0) read_index_.store(read, std::memory_order_release);
    return total;
  }

  // Either side; exact only when the other side is quiet.
  [[nodiscard]] std::size_t size() const noexcept {
    const std::size_t write = write_index_.load(std::memory_order_acquire);
    const std::size_t read = read_index_.load(std::memory_order_acquire);
    return write >= read ? write - read : capacity_ - read + write;
  }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_ - 1; }

 private:
  using allocator_type = std::allocator<T>;
  using allocator_traits = std::allocator_traits<allocator_type>;
  static constexpr std::size_t line = constants::cache_line_bytes;
  // Enough slots to cover one cache line before and after the live slots.
  static constexpr std::size_t padding_slots = (line - 1) / sizeof(T) + 1;
  static constexpr std::size_t max_size() noexcept { return allocator_traits::max_size(allocator_type{}); }

  alignas(line) std::size_t capacity_;
  T* slots_ = nullptr;
  [[no_unique_address]] allocator_type allocator_;

  alignas(line) std::atomic<std::size_t> write_index_{0};
  std::size_t read_cache_ = 0;  // producer's copy of read_index_

  alignas(line) std::atomic<std::size_t> read_index_{0};
  std::size_t write_cache_ = 0;  // consumer's copy of write_index_

  // Keeps whatever follows the ring off the consumer's line.
  char padding_[line - sizeof(std::size_t)] = {};
  static_assert(std::atomic<std::size_t>::is_always_lock_free);
};

}  // namespace authswitch::io
