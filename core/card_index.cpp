#include "core/card_index.h"

#include <bit>

#include "core/assert.h"
#include "core/constants.h"

namespace authswitch::core {

namespace {
std::size_t capacity_for(std::size_t cards) {
  return std::bit_ceil((cards * 100) / constants::card_index_load_percent_max + 16);
}
}  // namespace

void CardIndex::reserve(std::size_t cards) {
  const std::size_t want = capacity_for(cards);
  if (want <= entries_.size()) return;
  std::vector<CardEntry> old(want);
  old.swap(entries_);
  for (const CardEntry& e : old) {
    if (e.pan_digits == 0) continue;
    std::size_t i = home(Pan{e.pan, e.pan_digits});
    while (entries_[i].pan_digits != 0) i = (i + 1) & (entries_.size() - 1);
    entries_[i] = e;
  }
}

std::size_t CardIndex::capacity_cards() const noexcept {
  return entries_.size() * constants::card_index_load_percent_max / 100;
}

CardEntry* CardIndex::insert(const CardEntry& e) {
  AS_ASSERT(e.pan_digits != 0);
  if (size_ + 1 > capacity_cards()) return nullptr;
  const std::size_t mask = entries_.size() - 1;
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
  if (entries_.empty() || pan.digits == 0) return nullptr;
  const std::size_t mask = entries_.size() - 1;
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
