// What crosses threads inside the switch, and the connection slot that holds
// it (SPEC 13: one io_uring loop per connection feeds SPSC rings into the
// authorization threads).
//
//   connection loop --AuthJob--> to_auth[w] --> authorization thread w
//   connection loop <--AuthResult-- from_auth[w] <--
//
// One ring per (connection slot, authorization thread) pair and direction,
// so each ring has exactly one producer and one consumer. Rings are sized to
// the slot's in-flight table (to_auth: plus one worker batch, see init): a
// job is pushed only after an in-flight entry is taken, so no push can find
// its ring full.
//
// A slot is reused by later connections. It is handed back only once its
// in-flight count is zero, so no result ever lands in a slot's rings after
// its connection is gone.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/request.h"
#include "io/idle_strategy.h"
#include "io/iso_adapter.h"
#include "io/spsc_ring.h"
#include "io/switch_constants.h"
#include "ledger/wal_writer.h"

namespace authswitch::io {

struct AuthJob {
  std::uint32_t inflight = 0;  // the connection's in-flight entry
  core::AuthRequest request;
};

struct AuthResult {
  std::uint32_t inflight = 0;
  core::AuthResponse response;
  std::uint64_t ticket = 0;         // the decision record's; 0: nothing to wait for
  std::uint64_t decision_ns = 0;    // time spent in Core::authorize (metrics)
};

// Wakes a connection loop parked in io_uring_wait on its eventfd, with no
// system call while it is awake: the same protocol as Doorbell (RMWs on one
// word), the kernel side being an eventfd write instead of a futex wake.
class LoopWaker {
 public:
  LoopWaker() = default;
  void set_fd(int eventfd) noexcept { eventfd_ = eventfd; }
  void ring() noexcept {
    // The first ringer of a sleep clears the flag, so one sleep costs one
    // eventfd write however many threads ring during it.
    if (sleeping_.fetch_add(0, std::memory_order_seq_cst) != 0 &&
        sleeping_.exchange(0, std::memory_order_seq_cst) != 0) {
      wake();
    }
  }
  void wake() noexcept;
  // Loop side: announce, re-check, then wait; clear on waking.
  void announce_sleep() noexcept { (void)sleeping_.exchange(1, std::memory_order_seq_cst); }
  void awake() noexcept { sleeping_.store(0, std::memory_order_relaxed); }
  [[nodiscard]] int fd() const noexcept { return eventfd_; }

 private:
  int eventfd_ = -1;
  alignas(constants::cache_line_bytes) std::atomic<std::uint32_t> sleeping_{0};
};

// A request waiting for its answer: what the answer echoes, when it came.
struct InflightEntry {
  EchoCapture echo;
  std::uint64_t received_ns = 0;
  std::uint32_t stan = 0;
};

// A connection's buffers and in-flight table, allocated and touched once per
// slot at start-up, so a peer connecting allocates nothing (TIGER_STYLE).
// Sized by the ceilings rather than the config, so a slot serves any link:
// ~4.5 MiB a slot (2 x 1 MiB output, ~2.3 MiB in-flight table, 128 KiB
// input), 36 MiB for switch_connection_slots.
struct ConnectionBuffers {
  static constexpr std::size_t in_bytes =
      constants::max_message_bytes_ceiling + 4 + constants::switch_receive_extra_bytes;
  static constexpr std::uint32_t inflight_entries = constants::switch_link_inflight_max;

  ConnectionBuffers();
  std::unique_ptr<std::byte[]> in;       // in_bytes
  std::unique_ptr<std::byte[]> out[2];   // switch_send_buffer_bytes each: pending and sending
  std::unique_ptr<InflightEntry[]> inflight;
  std::unique_ptr<std::uint32_t[]> free_list;  // free in-flight entries (a stack)
};

// Built in place in the runtime's slot array at start-up (atomics: not
// movable), with its buffers; then init() allocates its rings.
struct ConnectionSlot {
  void init(std::size_t workers, std::uint32_t ring_capacity, int eventfd);

  std::vector<std::unique_ptr<SpscRing<AuthJob>>> to_auth;
  std::vector<std::unique_ptr<SpscRing<AuthResult>>> from_auth;
  LoopWaker waker;
  ConnectionBuffers buffers;
  ledger::ProducerId producer = 0;  // the connection loop's WAL producer
  // Set by the connection while it has jobs out: workers skip idle slots.
  std::atomic<bool> active{false};
};

}  // namespace authswitch::io
