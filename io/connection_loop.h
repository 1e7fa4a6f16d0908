// One connection of a link on its own io_uring loop thread (SPEC 9, 13).
//
// Per loop pass: answers whose decision record the log has released go out
// (from the return rings, in ticket order per authorization thread), packed
// into the pending output; one send per pass (double-buffered); then one
// io_uring_submit_and_wait. A receive completion is cut into frames (codec
// Deframer), each message unpacked and either answered on the spot (0800,
// unserved MTI 12, malformed 30, its link's max_inflight already in flight
// on all the link's connections 91) or turned into an AuthJob for the
// authorization thread that owns its card's shard.
//
// Waiting: with nothing to do the loop announces sleep (LoopWaker) and
// blocks in the kernel until a receive, a send or the waker's eventfd
// completes. While answers wait only on the log it is woken by the log's
// notify eventfd (a multishot poll: one completion per publish of the
// writer) and then re-reads the WAL's released counts (one acquire load
// each); without that eventfd it re-checks every switch_release_poll_ns.
//
// Closing (peer closed, frame out of step, runtime stopping): the loop stops
// reading, waits until every request it read is answered and written, then
// closes. Every request read gets its answer (SPEC 0).
//
// Threads: run() on the loop's own thread, once. Its buffers and in-flight
// table are its slot's, allocated at start-up (ConnectionBuffers); a
// connection allocates nothing but its io_uring (kernel memory), nothing per
// message. The link's in-flight count (LinkState) is shared with the link's
// other connections: a unit is taken per request handed on and given back
// with its answer, so a connection ends having given back all it took.
#pragma once

// The ledger's queue (moodycamel) must be seen before liburing's headers,
// whose kernel includes define macros that clash with its identifiers.
#include "io/switch_records.h"
#include "io/switch_slots.h"

#include <liburing.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "codec/codec.h"
#include "core/core.h"
#include "io/config.h"
#include "io/iso_adapter.h"
#include "io/link_state.h"
#include "io/switch_metrics.h"
#include "io/switch_slots.h"

namespace authswitch::io {

class AuthWorker;

// What every connection of the runtime shares.
struct LoopShared {
  core::Core* core = nullptr;
  ledger::WalWriter* wal = nullptr;
  std::span<AuthWorker* const> workers;
  std::span<const ledger::ProducerId> worker_producers;
  ClockSource clock = ClockSource::system;
  std::size_t max_message_bytes = 4096;
  const std::atomic<bool>* stopping = nullptr;
  // The log's notify eventfd (WalOptions::notify_eventfd), written after
  // every publish of its counts; each loop polls it (multishot) while
  // answers wait on the log. -1: re-check every switch_release_poll_ns.
  int released_fd = -1;
  void (*log)(void* context, const std::string& line) = nullptr;
  void* log_context = nullptr;
};

// One link's fixed facts, and where its shared state lives.
struct LinkShared {
  std::size_t index = 0;
  const LinkConfig* config = nullptr;
  const codec::Dialect* dialect = nullptr;
  codec::Framing framing = codec::Framing::len2;
  LinkMetrics* metrics = nullptr;
  LinkState* state = nullptr;

  // Any of the link's threads: the state /readyz reads, and the gauge
  // (authswitch_link_up) that mirrors it.
  void set_up(bool up) const noexcept {
    state->up.store(up, std::memory_order_release);
    metrics->link_up.set(up ? 1 : 0);
  }
};

struct ConnectionStats {
  std::uint64_t received = 0;    // requests read (each gets an answer)
  std::uint64_t answered = 0;    // answers packed for sending
  bool out_of_step = false;
  bool signed_on = false;
  bool network_timeout = false;  // our 0800 went unanswered: closed
};

class ConnectionLoop {
 public:
  ConnectionLoop(const LoopShared& shared, const LinkShared& link, ConnectionSlot& slot, std::size_t slot_index,
                 int fd, std::uint16_t peer_port);
  ~ConnectionLoop();
  ConnectionLoop(const ConnectionLoop&) = delete;
  ConnectionLoop& operator=(const ConnectionLoop&) = delete;

  // Serves until the connection ends; closes the descriptor. Empty string,
  // or why the loop itself failed (io_uring setup).
  std::string run();

  [[nodiscard]] const ConnectionStats& stats() const noexcept { return stats_; }

 private:
  struct Outstanding {  // our own 0800, awaiting its 0810
    bool active = false;
    std::uint32_t stan = 0;
    std::array<char, 10> field7{};
    std::uint16_t code = 0;
    std::uint64_t sent_ns = 0;
    std::uint64_t deadline_ns = 0;  // no 0810 by then: on_network_timeout()
  };
  enum class Op : std::uint8_t { recv = 1, send = 2, wake = 3, cancel = 4, released = 5 };

  io_uring_sqe* next_sqe();
  void arm_recv();
  void arm_wake();
  void arm_released();
  void maybe_arm_recv();
  void on_recv(int result);
  void on_send(int result);
  void handle_message(std::span<const std::byte> body, std::uint64_t now_mono_ns, core::TimeMs now_ms);
  void handle_request(const codec::MessageView& view, std::uint64_t now_mono_ns, core::TimeMs now_ms);
  void handle_response(const codec::MessageView& view);
  void reply_now(const EchoCapture& echo, core::ResponseCode rc, std::uint64_t received_ns);
  void reply_network(const codec::MessageView& view);
  void send_network(std::uint16_t code);
  void on_network_timeout();
  [[nodiscard]] std::uint64_t network_answer_wait_ns() const noexcept;
  void release_answers();
  bool pack_out(const codec::FieldValues& values, std::string_view rc, std::uint32_t inflight, std::uint32_t stan,
                std::string_view approval);
  void record_received(const EchoCapture& echo, std::uint32_t inflight);
  void record_dropped(std::string_view mti, std::uint8_t reason);
  void record_link(SwitchRecord type);
  template <typename Record>
  void log_own(SwitchRecord type, const Record& record);
  void flush_send();
  void begin_close();
  void linger_and_close();
  [[nodiscard]] bool results_waiting() noexcept;
  [[nodiscard]] bool done() const noexcept;
  void wait();
  void log(const std::string& line) const;
  [[nodiscard]] std::size_t out_free() const noexcept { return out_capacity_ - pending_len_; }

  const LoopShared& shared_;
  const LinkShared& link_;
  ConnectionSlot& slot_;
  std::size_t slot_index_;
  int fd_;
  std::uint16_t peer_port_;

  io_uring ring_{};
  bool ring_ready_ = false;
  std::uint64_t wake_value_ = 0;
  bool recv_armed_ = false;
  bool cancel_sent_ = false;
  bool send_in_flight_ = false;
  bool send_broken_ = false;
  bool closing_ = false;

  codec::Deframer deframer_;
  std::size_t out_capacity_;
  std::byte* pending_;
  std::size_t pending_len_ = 0;
  std::byte* sending_;
  std::size_t sending_len_ = 0;
  std::size_t sending_offset_ = 0;

  InflightEntry* inflight_;
  std::uint32_t* free_;      // stack of free in-flight entries
  std::uint32_t free_count_ = 0;
  std::uint32_t inflight_count_ = 0;
  std::array<char, constants::switch_auth_threads_max> rang_{};  // per worker: jobs pushed this pass
  bool unreleased_ = false;

  Outstanding outstanding_;
  std::uint32_t next_stan_ = 1;
  std::uint64_t last_activity_ns_ = 0;
  bool log_stalled_ = false;  // the writer took nothing for switch_own_record_wait_ns: do not wait again

  ResponseText text_;
  codec::FieldValues values_;
  ConnectionStats stats_;
};

}  // namespace authswitch::io
