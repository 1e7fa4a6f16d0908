#include "core/txn_table.h"

#include <sys/mman.h>

#include <bit>
#include <new>
#include <thread>

#include "core/assert.h"

namespace authswitch::core {

TxnTable::TxnTable(std::size_t capacity) : mask_(capacity - 1) {
  AS_ASSERT(std::has_single_bit(capacity) && capacity <= constants::txn_table_capacity_max);
  // Zeroed pages: an all-zero TxnEntry is an empty slot.
  void* p = mmap(nullptr, capacity * sizeof(TxnEntry), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  // Huge pages where the kernel allows (THP "madvise" mode): a random probe
  // then costs a cache miss, not also a page walk. Every page is touched now,
  // at start-up: a first-touch fault on the hot path costs microseconds.
  const std::size_t bytes = capacity * sizeof(TxnEntry);
  (void)madvise(p, bytes, MADV_HUGEPAGE);
  auto* bytes_p = static_cast<volatile char*>(p);
  for (std::size_t off = 0; off < bytes; off += 4096) bytes_p[off] = 0;
  entries_ = static_cast<TxnEntry*>(p);
}

TxnTable::~TxnTable() { munmap(entries_, capacity() * sizeof(TxnEntry)); }

std::uint64_t TxnTable::settled_hi(const TxnEntry& e) noexcept {
  std::uint64_t h = load_acquire(e.key_hi);
  for (unsigned spins = 0; (h & claim_bit) != 0; ++spins) {
    // The claimer is between two stores; on a shared core it may have been
    // preempted, so yield after a short spin.
    if (spins < 64) __builtin_ia32_pause();
    else std::this_thread::yield();
    h = load_acquire(e.key_hi);
  }
  return h;
}

TxnTable::Result TxnTable::find_or_claim(const TxnKey& key, const TxnContent& content, TxnState state) noexcept {
  AS_ASSERT(key.hi != 0 && (key.hi & claim_bit) == 0);
  std::size_t i = home(key);
  for (std::size_t probes = 0; probes < constants::txn_probe_max && probes <= mask_; ++probes, i = (i + 1) & mask_) {
    TxnEntry& e = entries_[i];
    std::uint64_t h = load_acquire(e.key_hi);
    if (h == 0) {
      std::uint64_t expected = 0;
      if (std::atomic_ref<std::uint64_t>(e.key_hi).compare_exchange_strong(expected, key.hi | claim_bit,
                                                                           std::memory_order_acquire)) {
        e.key_lo = key.lo;
        e.pan = content.pan.value;
        e.pan_digits = content.pan.digits;
        e.processing_code = content.processing_code;
        e.amount = content.amount;
        e.currency = content.currency;
        e.amount_numeric = content.amount_numeric ? 1 : 0;
        store_release(e.state, static_cast<std::uint32_t>(state));
        store_release(e.key_hi, key.hi);
        return {Outcome::claimed, &e};
      }
    }
    h = settled_hi(e);
    if (h == key.hi && e.key_lo == key.lo) return {Outcome::found, &e};
  }
  return {Outcome::full, nullptr};
}

TxnEntry* TxnTable::find(const TxnKey& key) noexcept {
  std::size_t i = home(key);
  for (std::size_t probes = 0; probes < constants::txn_probe_max && probes <= mask_; ++probes, i = (i + 1) & mask_) {
    TxnEntry& e = entries_[i];
    const std::uint64_t h = settled_hi(e);
    if (h == 0) return nullptr;
    if (h == key.hi && e.key_lo == key.lo) return &e;
  }
  return nullptr;
}

}  // namespace authswitch::core
