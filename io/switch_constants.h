// Bounds of the switch runtime (io/switch_*, connection_loop, auth_worker),
// each with its reason. Kept beside the runtime rather than in
// core/constants.h so that file's owners are not edited under; they follow
// the same rules (TIGER_STYLE: a limit on everything, allocated at start-up).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/constants.h"

namespace authswitch::constants {

// Connection slots (all links together), each preallocated at start-up with
// its rings, in-flight table and buffers (~3 MiB each at the default
// in-flight bound with two authorization threads). A card network allows
// only a few TCP connections (SPEC 0); 8 covers several links with a spare
// for a reconnect overlapping its old connection's drain.
inline constexpr std::size_t switch_connection_slots = 8;
// Links a config may name (SPEC 9, 10): a link is served only through a
// connection slot, so a config with more links than slots names links that
// could never all be up. The config parser, the runtime and the metrics
// registry's sizing (io/switch_metrics.h) all take the bound from here.
inline constexpr std::size_t switch_links_max = switch_connection_slots;
// Authorization threads: one per `cores.auth` entry; 4 is twice this
// machine's cores.
inline constexpr std::size_t switch_auth_threads_max = 4;
// WAL producers the runtime registers: one per connection slot, one per
// authorization thread, one for the runtime itself (start-up, shutdown).
inline constexpr std::size_t switch_wal_producers =
    switch_connection_slots + switch_auth_threads_max + 1;
static_assert(switch_wal_producers <= wal_producers_max);
// In-flight requests on one link (SPEC 9, max_inflight), all its
// connections together (io/link_state.h): the config's bound on
// max_inflight. One connection may hold all of its link's, so each slot's
// in-flight table (and each SPSC ring to an authorization thread, sized
// from the largest max_inflight) holds this many. 4096 at 100,000/s is
// 40 ms of decisions outstanding, far above a slow fdatasync (~10 ms).
inline constexpr std::uint32_t switch_link_inflight_max = 4096;
// Receive buffer of a connection: a header plus max_message_bytes is the
// Deframer's minimum; 64 KiB more lets one recv take ~350 0100s at once.
inline constexpr std::size_t switch_receive_extra_bytes = 64 * 1024;
// Output staging per connection, double-buffered: 1 MiB is ~5,000
// responses, a 50 ms stall of the peer at 100,000/s, and twice the room a
// receive is only armed with (connection_loop.cpp: 6 x a 64 KiB receive,
// since a response is at most ~5x its request). Full: answers wait in their
// rings and receiving pauses (backpressure); nothing is dropped.
inline constexpr std::size_t switch_send_buffer_bytes = 1024 * 1024;
// A response packs into at most this much (0110 with every echoed field,
// 38, 39, 44 and 54 stays under 300 bytes).
inline constexpr std::size_t switch_response_bytes_max = 1024;
// How an authorization thread waits for work (io/idle_strategy.h): a short
// spin, no yields, then park on its doorbell. On 2 cores the thread it waits
// for (a connection loop, the log writer, the client) usually needs the very
// CPU a longer spin or sched_yield would hold: with the generic 2,000 spins
// and 64 yields the idle thread took ~40% of a CPU at 2,000 requests/s
// (bench/RESULTS.md, End to end). 200 pauses (~5-10 us) still catch the
// next batch of a busy connection without a futex round trip.
inline constexpr std::uint32_t switch_auth_idle_spins = 200;
inline constexpr std::uint32_t switch_auth_idle_yields = 0;
// Log records one core operation appends at most: authorize, a reversal,
// a balance top-up, a limit change, a card added or its status changed each
// emit one event (core/core*.cpp). Callers reserve this much queue room
// before calling the core (WalWriter::room).
inline constexpr std::size_t switch_records_per_operation = 1;
// Items an authorization thread takes from one ring before looking at the
// next: bounds one connection's share of a pass (Aeron's bounded read).
inline constexpr std::size_t switch_auth_batch_max = 64;
// Staged prefetch of the jobs after the one being decided (Core::prefetch):
// the card index and the transaction's tags this many jobs ahead, then the
// user, then the limit slots. A job costs ~1 us here (decision, log append,
// metrics), several memory latencies, so short distances suffice and reach
// into the small batches a connection delivers at moderate rates
// (bench_core's tight loop of bare decisions uses 16/8/4).
inline constexpr std::size_t switch_prefetch_index_ahead = 4;
inline constexpr std::size_t switch_prefetch_user_ahead = 2;
inline constexpr std::size_t switch_prefetch_limits_ahead = 1;
// While answers wait on the log, the connection loop re-checks the WAL's
// released count after this long asleep. In sync mode the wait is one
// fdatasync (~0.1-10 ms here); 50 us keeps the added latency under the
// loopback floor's p50 while costing at most 20,000 wake-ups a second.
inline constexpr std::int64_t switch_release_poll_ns = 50'000;
// With the log's notify eventfd polled (the runtime's case), the loop is
// woken by each publish; this timeout only bounds a lost wake-up.
inline constexpr std::int64_t switch_release_fallback_ns = 1'000'000;
// How long a connection loop waits, for one of its own records (received,
// response written, link, dropped), on a log queue that is full and that
// the writer is not draining at all. While the writer drains, it waits on.
inline constexpr std::uint64_t switch_own_record_wait_ns = 100'000'000;
// Hold expiry (io/hold_sweeper.h): a sweep of the transaction table every
// minute, so a hold expires within a minute of hold_days and well before
// the table may reuse its entry (hold_days + txn_hold_grace_ms). A slice is
// 16,384 entries (~0.3 ms of scanning on the shard's thread) and at most 64
// expiries, so authorizations wait at most about a millisecond.
inline constexpr std::int64_t switch_hold_sweep_interval_ms = 60'000;
inline constexpr std::size_t switch_hold_sweep_slice_entries = 16'384;
inline constexpr std::size_t switch_hold_sweep_slice_events_max = 64;
// Submission queue of a connection's ring: one recv, one send, one wake
// read and one timeout in flight at most, with room.
inline constexpr unsigned switch_sq_entries = 16;
// After its last answer a connection sends FIN and waits this long at most
// for the peer to close before closing itself: closing with unread input
// would reset the connection and drop answers still in flight. A slow
// reader needs more than a round trip: under ThreadSanitizer a client that
// was still reading lost 771 answers at 2 s. 10 s bounds the stop; a peer
// that keeps sending without closing is cut then.
inline constexpr std::uint64_t switch_linger_ms = 10'000;
// Reconnect backoff of `connect` links (SPEC 9): 1 s doubling to 30 s.
inline constexpr std::int64_t switch_reconnect_initial_ms = 1'000;
inline constexpr std::int64_t switch_reconnect_max_ms = 30'000;
// A connect attempt's bound: a peer that drops SYNs is retried on the
// backoff instead of after the kernel's ~2 minutes of SYN retries.
inline constexpr std::int64_t switch_connect_timeout_ms = 10'000;
// How long our own 0800 waits for its 0810 when echo_interval_s is 0 (a
// sign-on with echoes off); with echoes on, one echo interval.
inline constexpr std::uint64_t switch_network_answer_wait_ms = 30'000;

}  // namespace authswitch::constants
