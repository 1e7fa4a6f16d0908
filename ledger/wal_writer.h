// The write-ahead log's writer: many producers, one writer thread, group commit.
//
// Producers (authorization threads, the API thread, io loops) call append()
// with a 16-bit event type and opaque payload bytes. append() copies the record
// into the producer's own bounded sub-queue and returns at once: no lock, no
// allocation, no system call unless the writer thread is asleep (one futex
// wake). The writer thread takes everything queued, gives each record the next
// sequence number, encodes the batch into one buffer and writes it with one
// write; in `sync` durability that write is followed by one fdatasync for the
// whole batch (group commit), and records arriving meanwhile form the next.
//
// Knowing when a record may be acted on, without locks: append() returns a
// ticket, the count of that producer's successful appends so far (1, 2, ...).
// The writer publishes, per producer, how many of its records are written to
// the OS (survive kill -9) and how many are durable (survive power loss), as
// atomics on the producer's own cache line. Producer k's record with ticket t
// is durable once durable_count(k) >= t. released_count(k) is the one the io
// loop polls before putting an answer on the wire: durable_count in `sync`,
// written_count in `async` (SPEC 7). An eventfd can be given to be signalled
// after each publish that moves an awaited producer's released count, so an
// io_uring loop can wait on it instead of spinning.
//
// Awaited and background producers: a producer whose records someone waits
// on before acting (a decision before its answer leaves) is `awaited`, the
// default. A `background` producer's records (the io loops' received and
// written records) gate nothing, so they need not cost a wake-up, a write
// or an fdatasync of their own: a background append wakes the writer only
// from a long idle sleep, and they ride in the next awaited batch. A batch
// holding only background records is written but, in `sync`, not synced and
// not signalled; flush_interval_ms bounds how long a background record may
// stay queued or unsynced (both durabilities). Any fdatasync covers every
// earlier write, so an awaited record's durability implies theirs.
//
// Batching producers write their own batch (combining): an authorization
// thread appends a batch of decisions, then calls end_batch(). Its appends
// wake no one; end_batch() in `async`, when the writer role is free, takes
// the role, writes everything queued with one write (as the writer thread
// would: the same staging, sequence numbers and published counts) and
// releases it. An answer then waits for one hand-off less (decision -> log
// writer -> io loop becomes decision -> io loop), and the writer thread is
// woken only to sync. The role is a flag taken by exchange, never waited
// for by a producer: a producer that does not get it wakes the writer, as a
// plain awaited append would. A producer never rotates a segment (it leaves
// a batch that may not fit to the writer thread) and never syncs: in `sync`
// end_batch() only wakes the writer, once per batch instead of per append.
//
// Failures: a failed write or fdatasync (full disk, I/O error) puts the writer
// in a failed state for good. Records not yet acknowledged never will be;
// append() returns the fault, failed() turns true, and the io layer answers
// 91/96 instead of approving without a record. Nothing already on disk is
// touched again.
//
// Segments: the next one is prepared when the current one is half full, so
// a rotation only renames. It is a recycled segment when the checkpointer's
// pruning has left one (log_files.h), else a new file preallocated with
// posix_fallocate. Recycling is for the fdatasyncs: a preallocated file's
// blocks are unwritten extents, and ext4 converts the ones a write touched
// in a journal commit at each fdatasync; a recycled file's blocks are
// already written, so a sync only flushes data (bench/RESULTS.md, seventh
// round). Its old records stay past the written ones; every write ends with
// a zero record header (the end marker, overwritten by the next write), and
// the reader treats a whole record older than its segment as the end
// (log_reader.h).
//
// Lifetime: open() recovers the tail of an existing log (cutting a torn tail,
// with a line on stderr), starts a new segment and the writer thread. Producers
// register before they append. close() is called after every producer has
// stopped appending (SPEC 0's shutdown order): it writes everything queued, a
// shutdown record, syncs and joins.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include "core/thread_class.h"
#include "core/constants.h"
#include "ledger/log_files.h"
#include "ledger/segment_io.h"
#include "ledger/status.h"
#include "ledger/wal_queue.h"

namespace authswitch::ledger {

enum class Durability : std::uint8_t { sync, async };

// Told the duration of each fdatasync (and, in `sync`, of each batch's
// write + fdatasync), on the writer thread: once per sync, never per record.
// The switch turns it into authswitch_wal_fsync_seconds.
class WalSyncObserver {
 public:
  virtual ~WalSyncObserver() = default;
  virtual void on_sync(std::int64_t duration_ns) noexcept = 0;
};

struct WalOptions {
  std::string dir;
  Durability durability = Durability::sync;
  std::uint32_t flush_interval_ms = constants::wal_flush_interval_ms_default;
  std::size_t segment_bytes = constants::wal_segment_bytes_default;
  IoBackend io_backend = IoBackend::pwrite;
  // Producers that will register; sizes the queue (wal_queue_capacity).
  std::size_t producers = constants::wal_producers_max;
  // When >= 0, the writer adds 1 to this eventfd after each publish of counts.
  int notify_eventfd = -1;
  // When set, outlives the writer.
  WalSyncObserver* sync_observer = nullptr;
  // The writer is on every answer's path (core/thread_class.h).
  core::ThreadClass thread_class = core::ThreadClass::answer_path;
};

using ProducerId = std::uint32_t;

// awaited: each append wakes the writer; background: see above; batching:
// awaited, but its appends wake no one until its end_batch().
enum class ProducerKind : std::uint8_t { awaited, background, batching };

struct AppendResult {
  Fault fault = Fault::none;  // none, queue_full (retry later / answer 91), closed, or the writer's failure
  std::uint64_t ticket = 0;   // valid when fault == none
  [[nodiscard]] bool ok() const noexcept { return fault == Fault::none; }
};

struct WalStats {
  std::uint64_t records = 0;   // records written, ledger records included
  std::uint64_t batches = 0;   // writes issued
  std::uint64_t syncs = 0;     // fdatasyncs issued
  std::uint64_t rotations = 0;
  std::uint64_t combined = 0;  // of the batches, written by a producer's end_batch()
  std::uint64_t recycled = 0;  // of the rotations, into a recycled file (log_files.h)
};

// Current time for record timestamps (CLOCK_REALTIME, ns).
[[nodiscard]] std::int64_t wall_clock_ns() noexcept;

class WalWriter {
 public:
  // Allocates everything the writer will ever use (queue, staging, buffer).
  explicit WalWriter(WalOptions options);
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;
  // Closes if still open (ignoring the status: call close() to see it).
  ~WalWriter();

  [[nodiscard]] Status open();

  // Setup time, any thread; at most options.producers. Allocates the token.
  [[nodiscard]] ProducerId register_producer(ProducerKind kind = ProducerKind::awaited);

  // Hot path; only the thread that owns `producer` calls it.
  [[nodiscard]] AppendResult append(ProducerId producer, std::uint16_t type, std::span<const std::byte> payload,
                                    std::int64_t timestamp_ns) noexcept;
  [[nodiscard]] AppendResult append(ProducerId producer, std::uint16_t type,
                                    std::span<const std::byte> payload) noexcept {
    return append(producer, type, payload, wall_clock_ns());
  }

  // Only the thread that owns a batching `producer`, after its appends of a
  // batch (and before it waits for their release): writes the queue itself
  // when it can (see the header comment) and returns true, or wakes the
  // writer and returns false. True means every record this producer
  // appended before the call is written (its written count covers it) and
  // the notify eventfd has been signalled after its publish.
  bool end_batch(ProducerId producer) noexcept;

  // Only the thread that owns `producer`: how many records it can append
  // now without Fault::queue_full. A lower bound: records the writer has
  // taken but not yet written still count as queued, and only the owner's
  // own appends can lower it, so room checked stays room until it appends.
  // The caller reserves with it before acting on anything it must log (a
  // decision whose record cannot be queued must not be applied at all).
  [[nodiscard]] std::size_t room(ProducerId producer) const noexcept;
  // The most room() can be: a sub-queue's bound less one block (the queue
  // checks the bound per block, wal_queue.h).
  [[nodiscard]] static constexpr std::size_t room_max() noexcept {
    return constants::wal_queue_records_per_producer - WalQueueTraits::BLOCK_SIZE;
  }

  // Any thread, wait-free (one acquire load).
  [[nodiscard]] std::uint64_t written_count(ProducerId producer) const noexcept {
    return slots_[producer].written.load(std::memory_order_acquire);
  }
  [[nodiscard]] std::uint64_t durable_count(ProducerId producer) const noexcept {
    return slots_[producer].durable.load(std::memory_order_acquire);
  }
  [[nodiscard]] std::uint64_t released_count(ProducerId producer) const noexcept {
    return options_.durability == Durability::sync ? durable_count(producer) : written_count(producer);
  }
  // The io loop's check before it releases an answer: has the record with
  // this ticket reached the durability the config asks for?
  [[nodiscard]] bool is_released(ProducerId producer, std::uint64_t ticket) const noexcept {
    return released_count(producer) >= ticket;
  }
  // Highest sequence written / durable so far, all producers together.
  // Published before the producers' counts: read after a count, it covers
  // every record that count took in.
  [[nodiscard]] std::uint64_t written_sequence() const noexcept {
    return written_sequence_.load(std::memory_order_acquire);
  }
  [[nodiscard]] std::uint64_t durable_sequence() const noexcept {
    return durable_sequence_.load(std::memory_order_acquire);
  }
  [[nodiscard]] bool failed() const noexcept { return state_.load(std::memory_order_acquire) == State::failed; }
  // The failure's file, offset and reason; OK while not failed.
  [[nodiscard]] Status failure() const;

  [[nodiscard]] Status close();

  // After close() only (the writer thread updates them while it runs):
  // totals for benchmarks and tests.
  [[nodiscard]] WalStats stats() const noexcept { return stats_; }
  [[nodiscard]] const WalOptions& options() const noexcept { return options_; }

  // Test hooks, before open() or from the writer's own failure tests: the
  // next write / fdatasync fails with this errno.
  void inject_write_error_for_test(int err) noexcept { inject_write_errno_.store(err, std::memory_order_release); }
  void inject_sync_error_for_test(int err) noexcept { inject_sync_errno_.store(err, std::memory_order_release); }
  // Every segment preallocation fails with this errno until set back to 0.
  void inject_prepare_error_for_test(int err) noexcept {
    inject_prepare_errno_.store(err, std::memory_order_release);
  }
  // While true the writer takes nothing from the queue (producers' queues
  // fill up); close() ends a stall. Tests of what a full queue does.
  void stall_for_test(bool stalled) noexcept { stall_for_test_.store(stalled, std::memory_order_release); }
  // While held, each async periodic fdatasync that runs beside producers
  // (sync_beside_producers) waits just before it starts, without the role,
  // until let_one_sync_pass_for_test(); syncs_held_for_test() counts the
  // syncs that reached the hold. Tests of what producers do during a sync.
  void hold_syncs_for_test(bool held) noexcept { hold_syncs_for_test_.store(held, std::memory_order_release); }
  void let_one_sync_pass_for_test() noexcept { sync_may_pass_for_test_.store(true, std::memory_order_release); }
  [[nodiscard]] std::uint32_t syncs_held_for_test() const noexcept {
    return syncs_held_for_test_.load(std::memory_order_acquire);
  }

 private:
  enum class State : std::uint8_t { closed, running, failed };
  // The page cache's unit on x86-64 and most arm64 kernels: end markers
  // reach the end of a page no earlier write touched (flush_staged()).
  static constexpr std::size_t page_bytes = 4096;

  // Written by the writer thread, read by anyone: one cache line per producer
  // so that polling one producer's counters never bounces another's.
  struct alignas(constants::cache_line_bytes) ProducerSlot {
    std::atomic<std::uint64_t> written{0};
    std::atomic<std::uint64_t> durable{0};
  };
  // Touched only by the producer thread itself.
  struct alignas(constants::cache_line_bytes) ProducerLocal {
    std::optional<moodycamel::ProducerToken> token;
    std::uint64_t appended = 0;
    ProducerKind kind = ProducerKind::awaited;
  };
  // writer_sleeping_'s values: awake, a short nap (at most flush_interval_ms,
  // background appends do not wake it), a long idle sleep (every append does).
  static constexpr std::uint32_t sleep_none = 0;
  static constexpr std::uint32_t sleep_nap = 1;
  static constexpr std::uint32_t sleep_long = 2;

  void run() noexcept;
  // The writer role: the writer thread and combining producers take it
  // before touching anything below "Writer role only" (acquire/release: the
  // role hands the staging state from one holder to the next).
  void take_role() noexcept;
  [[nodiscard]] bool try_take_role() noexcept {
    return !role_taken_.load(std::memory_order_relaxed) && !role_taken_.exchange(true, std::memory_order_acquire);
  }
  void release_role() noexcept { role_taken_.store(false, std::memory_order_release); }
  // Takes queued records into the staging buffer, at most one buffer's
  // worth; returns how many. Role holder only.
  std::size_t take_queued() noexcept;
  // Whether a batch taken now cannot need a rotation (a producer never
  // rotates). Role holder only.
  [[nodiscard]] bool batch_fits_segment() const noexcept {
    return segment_offset_ + static_cast<std::int64_t>(buffer_bytes_ + constants::wal_batch_bytes_max) <=
           static_cast<std::int64_t>(options_.segment_bytes);
  }
  [[nodiscard]] Status recover_tail(std::uint64_t& next_sequence, std::uint64_t& cut_bytes);
  // The next segment: a recycled one when one waits, else a new file
  // preallocated to the segment size.
  [[nodiscard]] Status prepare_segment();
  [[nodiscard]] bool take_recycled();
  [[nodiscard]] Status rotate();
  void stage_ledger_record(std::uint16_t type, std::span<const std::byte> payload);
  [[nodiscard]] Status stage(const QueuedRecord& record);
  [[nodiscard]] Status flush_staged(bool sync);
  [[nodiscard]] Status sync_now();
  [[nodiscard]] Status sync_beside_producers();
  void publish_written() noexcept;
  void publish_durable() noexcept { publish_durable(written_totals_.get(), written_last_sequence_); }
  void publish_durable(const std::uint64_t* totals, std::uint64_t sequence) noexcept;
  void fail(Status status) noexcept;
  void wait_for_work(std::int64_t timeout_ns, std::uint32_t how) noexcept;
  void wake_writer() noexcept;
  void wake_writer_from_long_sleep() noexcept;
  void wake_writer_to_sync() noexcept;
  void notify() noexcept;
  void observe_sync(std::int64_t began_ns) noexcept {
    if (options_.sync_observer != nullptr) options_.sync_observer->on_sync(monotonic_ns() - began_ns);
  }
  [[nodiscard]] static std::int64_t monotonic_ns() noexcept;

  WalOptions options_;
  WalQueue queue_;
  std::unique_ptr<ProducerSlot[]> slots_;
  std::unique_ptr<ProducerLocal[]> locals_;
  std::atomic<std::uint32_t> producers_registered_{0};

  std::atomic<State> state_{State::closed};
  std::atomic<bool> stop_requested_{false};
  // The futex word: nonzero (sleep_nap, sleep_long) while the writer sleeps
  // or is about to.
  std::atomic<std::uint32_t> writer_sleeping_{0};
  std::atomic<std::uint64_t> written_sequence_{0};
  std::atomic<std::uint64_t> durable_sequence_{0};
  std::atomic<Fault> failure_fault_{Fault::none};
  Status failure_;  // set once, before state_ becomes failed (release)
  std::atomic<int> inject_write_errno_{0};
  std::atomic<int> inject_sync_errno_{0};
  std::atomic<int> inject_prepare_errno_{0};
  std::atomic<bool> stall_for_test_{false};
  std::atomic<bool> hold_syncs_for_test_{false};
  std::atomic<bool> sync_may_pass_for_test_{false};
  std::atomic<std::uint32_t> syncs_held_for_test_{0};
  alignas(constants::cache_line_bytes) std::atomic<bool> role_taken_{false};
  // A producer wrote since the last sync (written and cleared by role
  // holders, read by the writer before a long sleep).
  std::atomic<bool> producer_wrote_{false};

  std::thread thread_;
  // Writer role only from here on (the writer thread, or a producer in
  // end_batch()).
  SegmentIo io_;
  std::unique_ptr<QueuedRecord[]> chunk_;
  std::unique_ptr<std::byte[]> buffer_;
  std::size_t buffer_bytes_ = 0;       // staged, not yet written
  FileDescriptor segment_fd_;
  std::string segment_path_;
  std::int64_t segment_offset_ = 0;    // where the staged bytes will go
  std::int64_t touched_end_ = 0;       // how far earlier writes reached in this segment (end markers included)
  FileDescriptor prepared_fd_;
  std::string prepared_path_;
  std::uint64_t next_sequence_ = 1;
  std::uint64_t staged_last_sequence_ = 0;
  std::uint64_t written_last_sequence_ = 0;
  bool unsynced_ = false;
  bool awaited_staged_ = false;        // the staged batch holds an awaited producer's record
  bool awaited_unsynced_ = false;      // an awaited record is written but not yet synced
  bool prepare_failed_ = false;        // ahead-of-time preparation failed; retry at rotation
  bool prepared_recycled_ = false;     // prepared_fd_ is a recycled file
  std::int64_t last_sync_ns_ = 0;      // CLOCK_MONOTONIC
  // Per producer: records staged in the current batch, and totals written.
  std::unique_ptr<std::uint64_t[]> staged_counts_;
  std::unique_ptr<std::uint64_t[]> written_totals_;
  // written_totals_ when the running sync_beside_producers() began.
  std::unique_ptr<std::uint64_t[]> sync_totals_;
  // Per producer, set at registration (before its first record).
  std::unique_ptr<bool[]> background_;
  WalStats stats_;
};

}  // namespace authswitch::ledger
