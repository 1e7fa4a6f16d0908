// Every bound of authswitch in one place, each with its reason.
//
// Nothing on the hot path grows: queues, tables and buffers are sized from
// these at start-up (TIGER_STYLE: put a limit on everything). A module adds
// its bounds here, in its own section, rather than as a literal in its code.
#pragma once

#include <cstddef>
#include <cstdint>

namespace authswitch::constants {

// ---- machine ----------------------------------------------------------------

// x86-64 cache line; also what std::hardware_destructive_interference_size
// says on this target, spelled out so the ABI does not move with a compiler
// flag (g++ warns about exactly that).
inline constexpr std::size_t cache_line_bytes = 64;

// ---- wire (SPEC 1, 9) -------------------------------------------------------

// Default `max_message_bytes`: a frame above it means the stream is out of
// step (SPEC 9). 4096 holds the largest realistic 0100 (all 128 fields at
// typical lengths stay under 1.5 KiB) with room for private-use fields.
inline constexpr std::size_t max_message_bytes_default = 4096;
// Hard ceiling for `max_message_bytes` in a config: len2 frames cannot say
// more than 65535, ascii4 not more than 9999.
inline constexpr std::size_t max_message_bytes_ceiling = 65535;
// ISO 8583:1987 numbers fields 1 to 128 (bit 1 is the secondary bitmap).
inline constexpr int iso_field_count = 128;

// ---- io runtime (io/) -------------------------------------------------------

// Idle strategy of a consumer thread with nothing to do. 2 cores are shared
// by the io loop, the authorization thread and the kernel's network path, so
// a consumer may only burn a short time before giving the core away. A
// `pause` measured 20-50 ns on the 2-vCPU EPYC dev VM (bench/RESULTS.md), so
// 2,000 of them are 40-100 us: 2-5 50,000/s inter-arrival gaps, within which
// a busy link never parks its consumer; then 64 sched_yield (~1 us each when
// nothing else runs) before parking on a futex, whose wake-up costs ~50 us
// there.
inline constexpr std::uint32_t idle_spins_max = 2000;
inline constexpr std::uint32_t idle_yields_max = 64;
// Latency histograms record integer nanoseconds from 1 ns to 100 s (a stalled
// decision is still recorded, not clipped) with 2 significant digits: 128
// linear sub-buckets a power-of-two bucket, relative error <= 1/128 < 1%.
inline constexpr std::uint64_t histogram_lowest_ns = 1;
inline constexpr std::uint64_t histogram_highest_ns = 100'000'000'000;
inline constexpr int histogram_significant_digits = 2;
// Series of a metrics registry (one link x ~12 MTIs x ~20 response codes is
// 240 series; 8 links fit). Each is one cache line, so 4096 is 256 KiB.
inline constexpr std::size_t metrics_series_max = 4096;
// Config bounds (SPEC 10). The links and max_inflight bounds are the
// runtime's (io/switch_constants.h: switch_links_max,
// switch_link_inflight_max).
inline constexpr std::uint32_t echo_interval_s_max = 86'400;
inline constexpr std::uint32_t flush_interval_ms_max = 10'000;
inline constexpr std::uint32_t hold_days_max = 3'650;
// CPU numbers in `cores`: Linux's default cpu_set_t holds 1024.
inline constexpr int cpu_index_max = 1023;
// Open-loop client: requests awaiting an answer are tracked in a table indexed
// by sequence number modulo this; 2^20 is > 10 s at 100,000/s, beyond any
// sane timeout, so a live slot is never overwritten.
inline constexpr std::size_t open_loop_inflight_slots = 1u << 20;
// Per-connection receive/send staging of the loopback echo and the client:
// 256 KiB holds ~1,400 0100-sized frames, a 10 ms stall at 100,000/s.
inline constexpr std::size_t loopback_buffer_bytes = 256 * 1024;
// The echo's provided buffer ring: 256 buffers of 16 KiB (4 MiB) take a
// burst of ~90 0100-sized frames per buffer before receive sees -ENOBUFS.
inline constexpr std::uint32_t echo_buffer_ring_entries = 256;
inline constexpr std::size_t echo_buffer_bytes = 16 * 1024;
// Submission queue of the echo: one multishot receive and one send per
// connection per pass fit with room; the completion queue is 4x (liburing's
// advice for multishot, which posts many completions per submission).
inline constexpr unsigned echo_sq_entries = 256;
static_assert((echo_buffer_ring_entries & (echo_buffer_ring_entries - 1)) == 0, "io_uring needs a power of two");

// ---- codec (SPEC 1) ---------------------------------------------------------

// The longest field ISO 8583 can state: an LLLLVAR prefix holds 4 digits. A
// buffer this size holds the text of any one field (codec/text.h).
inline constexpr std::size_t iso_field_length_max = 9999;
// Unpack records field offsets as 16 bits: no frame carries more (len2 says
// at most 65535), so a larger message is refused rather than truncated.
inline constexpr std::size_t iso_message_bytes_max = 65535;
static_assert(max_message_bytes_ceiling <= iso_message_bytes_max);

// ---- write-ahead log (SPEC 7; ledger/) -------------------------------------

// Largest record payload. The biggest event the core plans (a decision with
// the totals of up to 16 limits, 16 x 24 bytes, plus its key fields) stays
// under 600 bytes; 1008 leaves room and makes a queued record (16-byte header
// + payload) exactly 1 KiB.
inline constexpr std::size_t wal_payload_bytes_max = 1008;
// Threads that may append (authorization threads, the API thread, the io
// loops): 16 is eight times this machine's cores. Each gets a producer token,
// its own bounded sub-queue and a cache line of counters.
inline constexpr std::size_t wal_producers_max = 16;
// Records one producer may have queued and not yet taken by the writer. At
// 300,000 records/s from one thread (100,000 authorizations x 3 records),
// 4096 is ~14 ms of backlog, above a slow fdatasync here (~10 ms); a full
// queue is answered 91, never grown. Memory: producers x 4096 x 1 KiB,
// allocated when the writer is built (64 MiB at 16 producers).
inline constexpr std::size_t wal_queue_records_per_producer = 4096;
// The writer dequeues in chunks of this many records (256 KiB of staging).
inline constexpr std::size_t wal_dequeue_chunk_records = 256;
// One group commit writes at most this much: 1 MiB is ~10,000 records of
// 100 bytes, more than one fdatasync interval's worth at full rate.
inline constexpr std::size_t wal_batch_bytes_max = 1u << 20;
// Segment size: 64 MiB is ~600,000 records of 100 bytes, so a rotation (one
// rename and a directory fsync) happens at most every few seconds at full
// rate. Tests use the minimum to exercise rotation.
inline constexpr std::size_t wal_segment_bytes_default = 64u << 20;
inline constexpr std::size_t wal_segment_bytes_min = 4096;
// Pruned segments kept to be written over as later ones (wal_writer.h): a
// few rotations' worth, 256 MiB of disk at the default size.
inline constexpr std::size_t wal_recycled_segments_max = 4;
// `flush_interval_ms` default for durability `async` (SPEC 10 example).
inline constexpr std::uint32_t wal_flush_interval_ms_default = 2;
// Before sleeping on its futex the idle writer checks the queue this many
// times (with a pause each, ~10 us in all): a busy switch then never pays a
// wake-up syscall, an idle one does not burn a shared core.
inline constexpr std::uint32_t wal_idle_spins = 256;
// Snapshots are streamed through a buffer of this size.
inline constexpr std::size_t snapshot_buffer_bytes = 1u << 20;
// Snapshots kept after a new one is written: the newest and one fallback
// in case the newest turns out unreadable (SPEC 7).
inline constexpr std::size_t snapshots_kept = 2;

// ---- decision core (SPEC 3-5; core/) ----------------------------------------

// Period limits (daily, weekly, monthly, total) one user or company may have.
// One of each of SPEC 4's four kinds fits; a second monthly with another
// anchor replaces one of them. 4 keeps a user record in one cache line and a
// stored transaction (which records the period each limit counted in) in 4.
inline constexpr std::size_t period_limits_per_owner_max = 4;
// A limit list may also hold one `transaction` limit.
inline constexpr std::size_t limits_per_owner_max = period_limits_per_owner_max + 1;
// Limit slots an approval can move: the user's and the company's.
inline constexpr std::size_t slots_per_decision_max = 2 * period_limits_per_owner_max;
// Slots set_limits may add after the load (new specs; replaced slots are never
// reused, so a stored transaction's slot index stays valid): 2^16 x 64 bytes
// is 4 MiB of address space, committed only when used.
inline constexpr std::size_t limit_slots_spare = 1u << 16;
// Cards the HTTP API may add after the load; the PAN index is sized for them
// up front so it never grows while authorization threads read it.
inline constexpr std::size_t cards_added_max = 1u << 16;
// The PAN index is kept at most 70% full (linear probing: ~2.2 probes for a
// hit at that load, so a lookup is one cache miss most of the time).
inline constexpr std::size_t card_index_load_percent_max = 70;
// Duplicate-key / transaction table: one 192-byte entry per key kept
// (requests, reversals, remembered reversals) plus a 64-byte line of tags per
// 7 entries, committed at start-up so the hot path never page-faults: 2^22
// gives 3.67 million entries (2^19 buckets of 7), 736 MiB. Entries are reused
// (txn_table.h): at 100,000 requests/s the table holds the last ~37 s of
// answers, so duplicates older than that can no longer be recognised while
// the load lasts; at 1,000/s it holds an hour. A claim with no reusable slot
// answers 91 (counted). Configurable per core (tests use 2^12).
inline constexpr std::size_t txn_table_capacity_default = 1u << 22;
inline constexpr std::size_t txn_table_capacity_max = 1u << 26;
// The least time a final answer without an open hold is kept for duplicate
// checks before its slot may be reused (oldest first: entries stay longer
// while there is room). Acquirers repeat a request (0101, 0401) after a
// timeout of 30-60 s, a few times, and reverse timed-out requests within the
// same minutes: 10 minutes covers them with margin. Longer costs sustained
// rate: the table must hold every answer of the window, so with the default
// table (3.67 M entries, ~80% usable before a bucket pair overflows) 10
// minutes allows ~4,900 requests/s sustained; a 100,000/s burst fills it in
// ~30 s and is then answered 91 (counted) until answers age out. One hour
// would allow ~800/s. Measured on transaction times, never a clock;
// configurable per core (CoreConfig::duplicate_window_ms).
inline constexpr std::int64_t txn_duplicate_window_ms = 600'000;
// `hold_days` default (SPEC 10): an entry with an open hold (and a remembered
// reversal) is kept at least this long.
inline constexpr std::uint32_t hold_days_default = 7;
// An open hold's entry outlives hold_days by this much before it may be
// reused, so that hold expiry (SPEC 8; a job that runs at least daily, not
// wired into the switch yet) finds and releases the hold first.
inline constexpr std::int64_t txn_hold_grace_ms = 86'400'000;
// Authorization shards (threads): the shard id is one base-36 digit's worth
// of the approval code's space and fits the 16-bit field in user records.
inline constexpr std::size_t shards_max = 64;
// Ids (cards, users, companies, idempotency keys) are short operator strings.
inline constexpr std::size_t account_id_bytes_max = 64;
// Operator top-ups remembered per shard for Idempotency-Key answers.
inline constexpr std::size_t idempotency_keys_per_shard_max = 1u << 20;
// Cards per generated demo data set (serve's default is 100,000; benches use
// 1,000,000; loads of 10,000,000 are exercised by hand).
inline constexpr std::size_t demo_cards_max = 50'000'000;

}  // namespace authswitch::constants
