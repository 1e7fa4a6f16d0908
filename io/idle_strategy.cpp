#include "io/idle_strategy.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "core/assert.h"

namespace authswitch::io {
namespace {

// The futex word is the atomic itself: std::atomic<uint32_t> is a plain
// 4-byte object on Linux (checked below), which is what the kernel compares.
std::uint32_t* futex_word(std::atomic<std::uint32_t>& word) noexcept {
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  return reinterpret_cast<std::uint32_t*>(&word);
}

long futex(std::uint32_t* word, int op, std::uint32_t value) noexcept {
  return syscall(SYS_futex, word, op, value, nullptr, nullptr, 0);
}

}  // namespace

void Doorbell::wake() noexcept {
  sleeping_.store(0, std::memory_order_release);
  wake_calls_.fetch_add(1, std::memory_order_relaxed);
  futex(futex_word(sleeping_), FUTEX_WAKE_PRIVATE, 1);
}

void Doorbell::wait_while_sleeping() noexcept {
  // The kernel sleeps only if the word still reads 1, so a wake() between
  // our check and the syscall makes FUTEX_WAIT return EAGAIN at once.
  while (sleeping_.load(std::memory_order_acquire) != 0) {
    const long rc = futex(futex_word(sleeping_), FUTEX_WAIT_PRIVATE, 1);
    AS_ASSERT(rc == 0 || errno == EAGAIN || errno == EINTR);
  }
}

void IdleStrategy::yield() noexcept { sched_yield(); }

}  // namespace authswitch::io
