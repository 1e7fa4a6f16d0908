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

bool install_limits(LimitSet& set, SlotPool& pool, const LimitList& list) {
  std::array<std::uint32_t, constants::period_limits_per_owner_max> slots{};
  std::size_t n = 0;
  std::int64_t transaction_max = no_limit;
  const std::uint8_t old_count = load_acquire(set.slot_count);
  for (std::size_t i = 0; i < list.count; ++i) {
    const Limit& l = list.items[i];
    if (l.spec.kind == PeriodKind::transaction) {
      transaction_max = l.max;
      continue;
    }
    AS_ASSERT(n < slots.size());
    std::uint32_t found = no_index;
    for (std::size_t j = 0; j < old_count; ++j) {
      const std::uint32_t s = load_acquire(set.slots[j]);
      if (unpack_spec(load_acquire(pool[s].spec)) == l.spec) found = s;
    }
    if (found == no_index) {
      found = pool.allocate();
      if (found == no_index) return false;
      pool[found].spec = pack_spec(l.spec);
    }
    slots[n++] = found;
  }
  // Only now that nothing can fail: the maxima, then the set itself.
  std::size_t k = 0;
  for (std::size_t i = 0; i < list.count; ++i) {
    if (list.items[i].spec.kind == PeriodKind::transaction) continue;
    store_release(pool[slots[k++]].max, list.items[i].max);
  }
  for (std::size_t j = 0; j < n; ++j) store_release(set.slots[j], slots[j]);
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
