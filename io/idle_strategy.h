// Waiting for work on a 2-core machine: spin, then yield, then park.
//
// A consumer that finds its ring empty calls IdleStrategy::idle(); one that
// found work calls reset(). idle() escalates through three stages:
//
//   1. spin `spins` times with a pause instruction: the cheapest hand-off
//      (tens of ns) while the producer is likely to publish again soon;
//   2. sched_yield `yields` times: gives the core to the other thread of a
//      2-core box (the io loop or the kernel's softirq) without sleeping;
//   3. park on a futex in the Doorbell until the producer rings it.
//
// Doorbell is the futex word with a "sleeping" flag, so the producer pays no
// system call while the consumer is awake: ring() is one locked read-modify-
// write (fetch_add of 0) of a line the consumer only writes when it parks.
// The consumer announces sleep with an exchange on the same word before it
// re-checks its ring. Both are RMWs of one atomic, so they are totally
// ordered: either the producer's comes later and reads 1 (and wakes the
// consumer), or the consumer's comes later, reads from the producer's and so
// synchronises with it, and the re-check sees the item published before it.
// No wake is lost (tests/io/idle_strategy_test.cpp races the two). RMWs
// rather than two seq_cst fences: the same cost on x86 (one locked
// instruction each), and ThreadSanitizer understands them.
//
// Threads: one consumer per Doorbell parks; any number of producers may ring.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/constants.h"

namespace authswitch::io {

// One pause: tells the core a spin-wait is running (frees the sibling
// hyper-thread, avoids the memory-order flush on exit).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

class Doorbell {
 public:
  // Producer, after publishing work (one call may cover a batch). Costs one
  // locked instruction; a futex wake only when the consumer is parked.
  void ring() noexcept {
    if (sleeping_.fetch_add(0, std::memory_order_seq_cst) != 0) wake();
  }

  // Wakes the consumer whatever it is doing (shutdown).
  void wake() noexcept;

  // Consumer. Announces sleep, re-checks has_work() (so a push that raced
  // the announcement is seen), then sleeps until woken. Spurious returns are
  // possible; the caller re-checks its ring anyway.
  template <typename HasWork>
  void park(HasWork&& has_work) noexcept {
    (void)sleeping_.exchange(1, std::memory_order_seq_cst);
    if (!has_work()) wait_while_sleeping();
    sleeping_.store(0, std::memory_order_relaxed);
  }

  // For tests and metrics: is the consumer parked (or about to park)?
  [[nodiscard]] bool consumer_sleeping() const noexcept { return sleeping_.load(std::memory_order_acquire) != 0; }
  // Futex wake calls made; stays 0 while the consumer never parks.
  [[nodiscard]] std::uint64_t wake_calls() const noexcept { return wake_calls_.load(std::memory_order_relaxed); }

 private:
  void wait_while_sleeping() noexcept;

  alignas(constants::cache_line_bytes) std::atomic<std::uint32_t> sleeping_{0};
  std::atomic<std::uint64_t> wake_calls_{0};
};

struct IdlePolicy {
  std::uint32_t spins = constants::idle_spins_max;
  std::uint32_t yields = constants::idle_yields_max;
};

// Owned by the consumer thread.
class IdleStrategy {
 public:
  IdleStrategy(Doorbell& doorbell, IdlePolicy policy) noexcept : doorbell_(doorbell), policy_(policy) {}

  // Work was found: the next idle() starts spinning again.
  void reset() noexcept { idle_calls_ = 0; }

  // Nothing was found. has_work() is asked again before parking.
  template <typename HasWork>
  void idle(HasWork&& has_work) noexcept {
    if (idle_calls_ < policy_.spins) {
      ++idle_calls_;
      cpu_relax();
    } else if (idle_calls_ < policy_.spins + policy_.yields) {
      ++idle_calls_;
      yield();
    } else {
      doorbell_.park(has_work);
      ++parks_;
    }
  }

  [[nodiscard]] std::uint64_t parks() const noexcept { return parks_; }

 private:
  static void yield() noexcept;

  Doorbell& doorbell_;
  IdlePolicy policy_;
  std::uint32_t idle_calls_ = 0;
  std::uint64_t parks_ = 0;
};

}  // namespace authswitch::io
