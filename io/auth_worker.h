// An authorization thread (SPEC 13): owns one core shard, takes AuthJobs
// from every active connection slot's ring, decides them with
// Core::authorize (the hot path: no lock, no allocation), appends the
// decision to the write-ahead log through its own producer (the ledger's
// WalEventSink: the events recovery replays), and hands the
// AuthResult with the record's ticket back on the slot's return ring. The
// connection loop sends the answer once the log has released that ticket.
//
// Taking a batch from a ring, it prefetches the cards of the next jobs
// (Core::prefetch, staged) while deciding the current one.
//
// Between batches it drains its task queue (run_on_shard): operator work
// (balance top-ups, limit changes) that must run on the shard's owning
// thread. Waiting: spin, yield, then park on its Doorbell, which connection
// loops ring after pushing a batch.
//
// Threads: run() on the worker's own thread; post(), stop() from any.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <thread>

#include <concurrentqueue/concurrentqueue.h>

#include "core/thread_class.h"
#include "core/core.h"
#include "io/idle_strategy.h"
#include "io/latency_histogram.h"
#include "io/metrics_registry.h"
#include "io/switch_records.h"
#include "ledger/wal_event_sink.h"
#include "io/switch_slots.h"

namespace authswitch::io {

// Work run on a shard's thread: the core, the shard, the sink that logs.
using ShardTask = std::function<void(core::Core&, core::ShardId, core::EventSink&)>;

class AuthWorker {
 public:
  AuthWorker(core::Core& core, core::ShardId shard, std::span<ConnectionSlot> slots, ledger::WalWriter& wal,
             ledger::ProducerId producer, const ledger::PanCipher* cipher, LatencyRecorder* decision_latency,
             Counter* duplicates);
  AuthWorker(const AuthWorker&) = delete;
  AuthWorker& operator=(const AuthWorker&) = delete;

  // Starts the thread, pinned to `cpu` (-1: unpinned), scheduled as `cls`.
  void start(int cpu, core::ThreadClass cls = core::ThreadClass::answer_path);
  // After every connection loop has ended (no job can arrive any more):
  // finishes what is queued and joins.
  void stop();

  // Any thread. Runs `task` between batches; may allocate (not the hot path).
  void post(ShardTask task);

  // Before start(): counts requests answered 91 because the log's queue had
  // no room for their record (authswitch_wal_queue_full_total).
  void set_shed_counter(Counter* shed) noexcept { shed_ = shed; }
  // Before start(): the connection loops wait on the log's notify eventfd
  // (LoopShared::released_fd). Then a batch whose records the log has not
  // yet released does not ring the loop: the log's publish wakes it once,
  // when the answers can leave, instead of twice.
  void set_loops_woken_by_log(bool on) noexcept { loops_woken_by_log_ = on; }

  [[nodiscard]] Doorbell& doorbell() noexcept { return doorbell_; }
  [[nodiscard]] core::ShardId shard() const noexcept { return shard_; }
  [[nodiscard]] std::uint64_t decided() const noexcept { return decided_.load(std::memory_order_relaxed); }

 private:
  void run() noexcept;
  // One pass over every slot; returns the jobs decided.
  std::size_t pass() noexcept;
  std::size_t run_tasks() noexcept;
  [[nodiscard]] bool has_work() const noexcept;
  // After pushing a batch of results: ring the loop now, or leave it to the
  // log's signal (set_loops_woken_by_log)?
  [[nodiscard]] bool wake_loop_now(std::uint64_t last_ticket) const noexcept;

  core::Core& core_;
  ledger::WalWriter& wal_;
  core::ShardId shard_;
  std::span<ConnectionSlot> slots_;
  ledger::WalEventSink sink_;
  LatencyRecorder* decision_latency_;
  Counter* duplicates_;  // authswitch_duplicates_total (may be null)
  Counter* shed_ = nullptr;  // decisions refused for want of log queue room (may be null)
  bool loops_woken_by_log_ = false;
  // Per connection slot, the ticket of the last result pushed in this pass.
  static constexpr std::uint64_t no_results = ~std::uint64_t{0};
  std::array<std::uint64_t, constants::switch_connection_slots> last_tickets_;
  Doorbell doorbell_;
  moodycamel::ConcurrentQueue<ShardTask> tasks_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> decided_{0};
  std::thread thread_;
};

}  // namespace authswitch::io
