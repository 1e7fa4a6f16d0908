// PAN -> card, an open-addressing table with linear probing.
//
// An entry holds everything the rules need about a card (status, expiry,
// currency, user, shard), 32 bytes, two to a cache line: a decision on a card
// not in cache pays one miss here, typically.
//
// Threads: lookups from any thread (io threads route by it, shard threads
// decide by it) with no lock; inserts from one thread at a time (the loader,
// then the control thread adding a card), published by a release store of
// the digit count, so a reader sees a whole entry or none. Capacity is fixed
// once the core is built: the table never moves under a reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/pan.h"
#include "core/atomic_word.h"
#include "core/prefetch.h"

namespace authswitch::core {

enum class CardStatus : std::uint8_t { active = 0, blocked = 1, lost = 2, stolen = 3 };

struct CardEntry {
  std::uint64_t pan = 0;
  std::uint8_t pan_digits = 0;  // 0: empty; stored last, with release
  std::uint8_t status = 0;      // CardStatus; atomic, any thread may change it
  std::uint16_t currency = 0;
  std::uint16_t expiry_yymm = 0;
  std::uint16_t shard = 0;
  std::uint32_t user = 0;
  std::uint32_t card = 0;  // dense card index (ids, events)
  std::uint64_t reserved = 0;
};
static_assert(sizeof(CardEntry) == 32);

// The table lives in its own anonymous mapping (huge pages where the kernel
// gives them): it starts zeroed (an empty table) without a memset, and 10
// million cards fault in 2 MiB at a time rather than 4 KiB.
class CardIndex {
 public:
  CardIndex() = default;
  ~CardIndex();
  CardIndex(CardIndex&& other) noexcept;
  CardIndex& operator=(CardIndex&& other) noexcept;
  CardIndex(const CardIndex&) = delete;
  CardIndex& operator=(const CardIndex&) = delete;

  // For at least `cards` entries at the load bound (constants.h). Moves every
  // entry if the table grows: the loader and the core's construction only,
  // never under a reader.
  void reserve(std::size_t cards);
  [[nodiscard]] std::size_t capacity_cards() const noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  // One thread at a time. nullptr if the PAN is already there or the table is
  // at its load bound.
  [[nodiscard]] CardEntry* insert(const CardEntry& e);
  // Any thread.
  [[nodiscard]] const CardEntry* find(Pan pan) const noexcept;
  [[nodiscard]] CardEntry* find(Pan pan) noexcept {
    return const_cast<CardEntry*>(static_cast<const CardIndex*>(this)->find(pan));
  }
  // Brings the first probe's cache line in; for the authorization thread to
  // issue a few requests ahead.
  void prefetch(Pan pan) const noexcept {
    if (slots_ != 0) prefetch_read(&entries_[home(pan)]);
  }

  // Every slot, empty ones (pan_digits 0) included, in table order.
  [[nodiscard]] std::span<const CardEntry> entries() const noexcept { return {entries_, slots_}; }

 private:
  [[nodiscard]] std::size_t home(Pan pan) const noexcept {
    std::uint64_t h = (pan.value ^ (static_cast<std::uint64_t>(pan.digits) << 59)) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    return static_cast<std::size_t>(h) & (slots_ - 1);
  }

  CardEntry* entries_ = nullptr;  // slots_ entries, mmap'd; null when slots_ is 0
  std::size_t slots_ = 0;         // a power of two
  std::size_t size_ = 0;
};

}  // namespace authswitch::core
