#include "core/card_index.h"

#include <sys/mman.h>

#include <bit>
#include <new>
#include <utility>

#include "core/assert.h"
#include "core/constants.h"

namespace authswitch::core {

namespace {
std::size_t capacity_for(std::size_t cards) {
  return std::bit_ceil((cards * 100) / constants::card_index_load_percent_max + 16);
}
}  // namespace

namespace {
CardEntry* map_entries(std::size_t slots) {
  const std::size_t bytes = slots * sizeof(CardEntry);
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  (void)madvise(p, bytes, MADV_HUGEPAGE);  // fewer faults at the load, fewer TLB misses on random cards
  return static_cast<CardEntry*>(p);      // zero-filled: every slot empty
}
void unmap_entries(CardEntry* p, std::size_t slots) {
  if (p != nullptr) munmap(p, slots * sizeof(CardEntry));
}
}  // namespace

CardIndex::~CardIndex() { unmap_entries(entries_, slots_); }

CardIndex::CardIndex(CardIndex&& other) noexcept
    : entries_(std::exchange(other.entries_, nullptr)),
      slots_(std::exchange(other.slots_, 0)),
      size_(std::exchange(other.size_, 0)) {}

CardIndex& CardIndex::operator=(CardIndex&& other) noexcept {
  if (this != &other) {
    unmap_entries(entries_, slots_);
    entries_ = std::exchange(other.entries_, nullptr);
    slots_ = std::exchange(other.slots_, 0);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void CardIndex::reserve(std::size_t cards) {
  const std::size_t want = capacity_for(cards);
  if (want <= slots_) return;
  CardEntry* const old = entries_;
  const std::size_t old_slots = slots_;
  entries_ = map_entries(want);
  slots_ = want;
  for (std::size_t k = 0; k < old_slots; ++k) {
    const CardEntry& e = old[k];
    if (e.pan_digits == 0) continue;
    std::size_t i = home(Pan{e.pan, e.pan_digits});
    while (entries_[i].pan_digits != 0) i = (i + 1) & (slots_ - 1);
    entries_[i] = e;
  }
  unmap_entries(old, old_slots);
}

std::size_t CardIndex::capacity_cards() const noexcept {
  return slots_ * constants::card_index_load_percent_max / 100;
}

CardEntry* CardIndex::insert(const CardEntry& e) {
  AS_ASSERT(e.pan_digits != 0);
  if (size_ + 1 > capacity_cards()) return nullptr;
  const std::size_t mask = slots_ - 1;
  std::size_t i = home(Pan{e.pan, e.pan_digits});
  while (true) {
    CardEntry& slot = entries_[i];
    const std::uint8_t d = load_acquire(slot.pan_digits);
    if (d == 0) break;
    if (d == e.pan_digits && slot.pan == e.pan) return nullptr;
    i = (i + 1) & mask;
  }
  CardEntry& slot = entries_[i];
  slot.pan = e.pan;
  store_release(slot.status, e.status);
  slot.currency = e.currency;
  slot.expiry_yymm = e.expiry_yymm;
  slot.shard = e.shard;
  slot.user = e.user;
  slot.card = e.card;
  store_release(slot.pan_digits, e.pan_digits);
  ++size_;
  return &slot;
}

const CardEntry* CardIndex::find(Pan pan) const noexcept {
  if (slots_ == 0 || pan.digits == 0) return nullptr;
  const std::size_t mask = slots_ - 1;
  std::size_t i = home(pan);
  while (true) {
    const CardEntry& slot = entries_[i];
    const std::uint8_t d = load_acquire(slot.pan_digits);
    if (d == 0) return nullptr;
    if (d == pan.digits && slot.pan == pan.value) return &slot;
    i = (i + 1) & mask;
  }
}

}  // namespace authswitch::core
