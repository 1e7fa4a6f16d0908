#include "core/accounts.h"

#include <sys/mman.h>

#include <new>

#include "core/assert.h"

namespace authswitch::core {

SlotPool::SlotPool(std::size_t capacity) : capacity_(capacity) {
  AS_ASSERT(capacity > 0 && capacity < no_index);
  void* p = mmap(nullptr, capacity * sizeof(LimitSlot), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  (void)madvise(p, capacity * sizeof(LimitSlot), MADV_HUGEPAGE);  // fewer page walks on random users
  slots_ = static_cast<LimitSlot*>(p);
}

SlotPool::~SlotPool() { munmap(slots_, capacity_ * sizeof(LimitSlot)); }

std::uint32_t SlotPool::allocate() noexcept {
  const std::uint32_t i = std::atomic_ref<std::uint32_t>(used_).fetch_add(1, std::memory_order_relaxed);
  if (i >= capacity_) return no_index;
  // Constructs the slot (an empty window) in the zeroed mapping.
  new (&slots_[i]) LimitSlot{};
  return i;
}

}  // namespace authswitch::core

namespace authswitch::core {

bool install_limits(LimitSet& set, SlotPool& pool, const LimitList& list, const Zone& zone) {
  constexpr std::size_t slots_max = constants::period_limits_per_owner_max;
  const std::uint8_t old_count = load_acquire(set.slot_count);
  std::array<LimitSpec, slots_max> old_specs{};
  for (std::size_t j = 0; j < old_count; ++j) {
    old_specs[j] = unpack_spec(load_acquire(pool[load_acquire(set.slots[j])].spec));
  }
  std::array<const Limit*, slots_max> limits{};  // the period limits of `list`, in order
  std::size_t n = 0;
  std::int64_t transaction_max = no_limit;
  for (std::size_t i = 0; i < list.count; ++i) {
    const Limit& l = list.items[i];
    if (l.spec.kind == PeriodKind::transaction) {
      transaction_max = l.max;
    } else {
      AS_ASSERT(n < slots_max);
      limits[n++] = &l;
    }
  }
  // The old position each limit keeps: the same spec first (only the max
  // changes), then, for a limit left over, the first left-over old limit of
  // the same period kind (new anchors or reset time: the same limit
  // reshaped). The rest get fresh slots.
  constexpr std::size_t none = slots_max;
  std::array<std::size_t, slots_max> kept;
  kept.fill(none);
  std::array<bool, slots_max> taken{};
  for (const bool same_spec : {true, false}) {
    for (std::size_t k = 0; k < n; ++k) {
      for (std::size_t j = 0; j < old_count && kept[k] == none; ++j) {
        const bool fits = same_spec ? old_specs[j] == limits[k]->spec : old_specs[j].kind == limits[k]->spec.kind;
        if (!taken[j] && fits) {
          kept[k] = j;
          taken[j] = true;
        }
      }
    }
  }
  std::array<std::uint32_t, slots_max> slots{};
  for (std::size_t k = 0; k < n; ++k) {
    if (kept[k] != none) {
      slots[k] = load_acquire(set.slots[kept[k]]);
      continue;
    }
    slots[k] = pool.allocate();
    if (slots[k] == no_index) return false;
    pool[slots[k]].spec = pack_spec(limits[k]->spec);
  }
  // Only now that nothing can fail: shapes, maxima, then the set itself.
  for (std::size_t k = 0; k < n; ++k) {
    LimitSlot& s = pool[slots[k]];
    if (kept[k] != none && old_specs[kept[k]] != limits[k]->spec) slot_reshape(s, limits[k]->spec, zone);
    store_release(s.max, limits[k]->max);
  }
  for (std::size_t k = 0; k < n; ++k) store_release(set.slots[k], slots[k]);
  store_release(set.slot_count, static_cast<std::uint8_t>(n));
  store_release(set.transaction_max, transaction_max);
  return true;
}

LimitList limits_of(const LimitSet& set, const SlotPool& pool) {
  LimitList out;
  const std::int64_t tmax = load_acquire(set.transaction_max);
  if (tmax != no_limit) out.items[out.count++] = Limit{LimitSpec{PeriodKind::transaction, 1, 1, 0}, tmax};
  const std::uint8_t n = load_acquire(set.slot_count);
  for (std::size_t j = 0; j < n; ++j) {
    const LimitSlot& s = pool[load_acquire(set.slots[j])];
    out.items[out.count++] = Limit{unpack_spec(load_acquire(s.spec)), load_acquire(s.max)};
  }
  return out;
}

}  // namespace authswitch::core
