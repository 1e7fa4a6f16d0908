// Cards, users and companies as the core holds them (SPEC 5).
//
// Dense indices everywhere (ids are interned once): a card entry names its
// user by index, a user its company. A user record and a company record are
// one cache line each; their limit totals live in LimitSlots in one pool.
//
// Ownership: a company with its users and their cards, or a company-less
// user, belongs to exactly one shard; its totals, balance and holds change
// only on that shard's thread (core.h). Other threads read them under the
// record's seqlock.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/card_index.h"
#include "core/constants.h"
#include "core/id_index.h"
#include "core/limit_list.h"
#include "core/limit_slot.h"
#include "core/seqlock.h"

namespace authswitch::core {

inline constexpr std::uint32_t no_index = 0xffffffffu;
inline constexpr std::int64_t no_limit = -1;  // transaction_max when unset

// Limit slots of one owner, and its transaction limit.
struct LimitSet {
  std::int64_t transaction_max = no_limit;  // atomic (atomic_word.h)
  std::array<std::uint32_t, constants::period_limits_per_owner_max> slots{};  // pool indices
  std::uint8_t slot_count = 0;                                                // atomic (atomic_word.h)
};

struct alignas(constants::cache_line_bytes) User {
  SeqWord seq;
  std::uint32_t company = no_index;
  std::int64_t balance = 0;     // minor units; atomic (atomic_word.h) under seq
  std::int64_t open_holds = 0;  // sum of held amounts not yet released
  LimitSet limits;
  std::uint16_t shard = 0;
  bool has_balance = false;  // prepaid: rule 10 applies
};
static_assert(sizeof(User) == constants::cache_line_bytes);

struct alignas(constants::cache_line_bytes) Company {
  SeqWord seq;
  LimitSet limits;
  std::uint16_t shard = 0;
};
static_assert(sizeof(Company) == constants::cache_line_bytes);

// Fixed-capacity pool of limit slots. Allocation is an atomic bump (set_limits
// may run on several shard threads at once); a slot is never freed or reused,
// so an index recorded in a stored transaction always names the same limit.
// Memory comes from mmap: untouched capacity costs address space only.
class SlotPool {
 public:
  explicit SlotPool(std::size_t capacity);
  ~SlotPool();
  SlotPool(const SlotPool&) = delete;
  SlotPool& operator=(const SlotPool&) = delete;

  // no_index when full.
  [[nodiscard]] std::uint32_t allocate() noexcept;
  [[nodiscard]] LimitSlot& operator[](std::uint32_t i) noexcept { return slots_[i]; }
  [[nodiscard]] const LimitSlot& operator[](std::uint32_t i) const noexcept { return slots_[i]; }
  [[nodiscard]] LimitSlot* data() noexcept { return slots_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::size_t available() const noexcept {
    const std::size_t used = std::atomic_ref<std::uint32_t>(const_cast<std::uint32_t&>(used_)).load();
    return used >= capacity_ ? 0 : capacity_ - used;
  }

 private:
  LimitSlot* slots_ = nullptr;
  std::size_t capacity_ = 0;
  std::uint32_t used_ = 0;  // atomic
};

// What the loader builds and the core then owns.
struct Accounts {
  IdIndex company_ids, user_ids, card_ids;
  std::vector<Company> companies;
  std::vector<User> users;
  CardIndex cards;
  // Card index -> its PAN (the card index entry holds the rest). Reserved for
  // cards_added_max more at the load, so it never moves under a reader.
  std::vector<Pan> card_pans;
  std::unique_ptr<SlotPool> slots;
};

}  // namespace authswitch::core

namespace authswitch::core {

// Makes `set` hold the limits of `list`, in list order, keeping the totals
// of the limits it changes (SPEC 4: changing a limit "keeps the totals"). A
// period limit whose spec matches one already in `set` keeps that slot as it
// is (only the max changes). One left over takes the slot of a left-over
// limit of the same period kind, in list order, reshaped in `zone` to its
// new anchors or reset time (slot_reshape: the period in progress keeps its
// total). Others get a fresh slot, from zero. Caller: the owner's shard
// thread inside its seqlock, or the loader (a new set: nothing to reshape).
// False (and `set` unchanged) when the pool is out of slots.
[[nodiscard]] bool install_limits(LimitSet& set, SlotPool& pool, const LimitList& list, const Zone& zone);

// The list back out of a set (as the HTTP API and events show it).
[[nodiscard]] LimitList limits_of(const LimitSet& set, const SlotPool& pool);

}  // namespace authswitch::core
