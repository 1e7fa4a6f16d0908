// What one link's threads share while the switch runs (SPEC 9): its
// acceptor or connector thread and every connection loop of the link, each
// on its own thread. One per link, owned by the runtime, alive from start()
// until stop() has joined them all.
//
// inflight: requests read on any connection of the link and not yet
// answered. SPEC 9 bounds them per link (max_inflight), and a listen link
// serves several connections, so the bound cannot live in one connection's
// table. A loop reserves a unit before it hands a request to an
// authorization thread, and gives it back when that request's answer is
// packed (sent, or dropped with a peer that is gone): the one place an
// in-flight entry is freed. A compare-exchange loop rather than fetch_add
// then undo: a refused reservation never shows as a unit taken, so another
// connection's reservation is never refused for a passing over-count. The
// few connections of one link rarely contend: no lock.
//
// up: the link is usable, as authswitch_link_up shows it (a listen link
// accepting; a connect link connected, and signed on with sign_on). /readyz
// (SwitchRuntime::ready) reads this, not the metrics gauge that mirrors it.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/assert.h"
#include "io/switch_constants.h"

namespace authswitch::io {

struct LinkState {
  // Any of the link's connection loops. False: `max` are in flight already.
  [[nodiscard]] bool try_reserve_inflight(std::uint32_t max) noexcept {
    std::uint32_t now = inflight.load(std::memory_order_relaxed);
    do {
      if (now >= max) return false;
    } while (!inflight.compare_exchange_weak(now, now + 1, std::memory_order_relaxed));
    return true;
  }
  void release_inflight() noexcept {
    [[maybe_unused]] const std::uint32_t before = inflight.fetch_sub(1, std::memory_order_relaxed);
    AS_ASSERT(before != 0);  // released more often than reserved
  }
  [[nodiscard]] std::uint32_t inflight_now() const noexcept { return inflight.load(std::memory_order_relaxed); }

  // Each on its own cache line: every request of every connection of the
  // link writes `inflight`; `up` is read by /readyz scrapes.
  alignas(constants::cache_line_bytes) std::atomic<std::uint32_t> inflight{0};
  alignas(constants::cache_line_bytes) std::atomic<bool> up{false};
};

}  // namespace authswitch::io
