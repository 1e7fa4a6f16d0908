// Periodic snapshots that never stop an authorization (SPEC 7: "a snapshot
// is written at clean shutdown and every snapshot_every records").
//
// Core::save_state needs a core no thread is changing, and the live core's
// shard threads never pause. So the checkpointer keeps a SHADOW core of its
// own, built like the live one (the same accounts, the same snapshot the
// live recovery loaded), and brings it forward by replaying the log as the
// writer makes it durable, exactly as a restart would (Core::apply through
// RecordReplayer, core_recovery.h). The shadow is quiescent whenever the
// checkpointer's own thread says so, which is what a snapshot needs:
//
//   writer thread      --pwrite/fdatasync-->  segment files (page cache)
//   checkpointer thread  LogFollower reads records <= wal.durable_sequence()
//                        RecordReplayer(shadow): add ..., drain per batch
//                        every `snapshot_every` records:
//                          write_core_snapshot(shadow, covered = last applied)
//                            (temp file, fsync, rename, fsync folder)
//                          append a snapshot_marker record (its own producer)
//                          prune_log(keep 2): the segments wholly behind the
//                            OLDER snapshot kept go, so a bad newest snapshot
//                            still has a fallback with its log after it.
//
// The authorization threads are never touched: they share nothing with the
// checkpointer but the log's page cache and the CPU. The thread runs at a
// low priority (nice `nice`) and yields between batches; when the switch is
// busy it falls behind and catches up later (lag() shows by how much), and a
// snapshot is late rather than the switch slow. Only durable records are
// applied, so a snapshot never covers a record a power loss could take back
// (recovery would then find the log shorter than the snapshot).
//
// Cost: a second core in memory (the transaction table included: 768 MiB at
// the default capacity) and the replay CPU (0.4-0.6 us a record through the
// prefetch window, bench/RESULTS.md, seventh round).
//
// Threads: start(), stop() from the controlling thread; the accessors from
// any thread. The shadow is built on the checkpointer's thread (make_core
// may take a second or two for a million cards), so start() returns at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/thread_class.h"
#include "core/constants.h"
#include "core/core.h"
#include "ledger/pan_cipher.h"
#include "ledger/snapshot.h"
#include "ledger/status.h"
#include "ledger/wal_writer.h"

namespace authswitch::ledger {

struct CheckpointerOptions {
  std::string dir;
  // Records (log sequences, every type) between two snapshots.
  std::uint64_t snapshot_every = 1'000'000;
  std::size_t snapshots_kept = constants::snapshots_kept;
  // Cards the accounts file loads (write_core_snapshot's `loaded_cards`).
  std::uint32_t loaded_cards = 0;
  // A fresh core built from the accounts file exactly as the live one was,
  // before recovery. Called once, on the checkpointer's thread.
  std::function<std::unique_ptr<core::Core>()> make_core;
  // The snapshot the live recovery loaded (CoreRecoveryResult::snapshot), if
  // any: the shadow loads the same one and replays from the record after it.
  std::optional<SnapshotInfo> base_snapshot;
  // Niceness of the checkpointer's thread (0..19; 19 is the lowest share),
  // what is left when SCHED_IDLE is refused or not asked for.
  int nice = 10;
  // Background work: CPU no answer needs (core/thread_class.h).
  core::ThreadClass thread_class = core::ThreadClass::background;
  // Records applied between looks at the stop flag and at the lag.
  std::size_t batch_records = 4096;
  // Sleep when there is nothing new (the writer makes records durable every
  // batch in `sync`, every flush_interval_ms in `async`).
  std::uint32_t idle_wait_ms = 5;
  // One line per snapshot and per failure; null: stderr.
  std::function<void(const std::string&)> log;
};

struct CheckpointerStats {
  std::uint64_t applied_sequence = 0;   // last record the shadow holds
  std::uint64_t snapshots_written = 0;  // periodic and final
  std::uint64_t last_covered = 0;       // sequence the newest snapshot covers
  double last_snapshot_seconds = 0;     // wall time of the newest snapshot (save + write + fsync)
  std::uint64_t last_snapshot_bytes = 0;
  std::uint64_t segments_removed = 0;
  std::uint64_t snapshots_removed = 0;
  double build_seconds = 0;             // building the shadow (make_core and loading its snapshot), wall
  double build_cpu_seconds = 0;         // the same, CPU time of the checkpointer's thread
  double cpu_seconds = 0;               // its CPU time since (replay, snapshots, pruning), sampled each batch
  double snapshot_cpu_seconds = 0;      // the part of cpu_seconds spent writing snapshots
};

class Checkpointer {
 public:
  // `producer`: a WAL producer of its own (for the snapshot markers).
  Checkpointer(CheckpointerOptions options, WalWriter& wal, ProducerId producer, const PanCipher* cipher);
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;
  ~Checkpointer();  // stop(false) if still running

  // Starts the thread; it builds the shadow, then follows the log.
  void start();

  // Ends the thread. With `final_snapshot`, it first catches up with every
  // record durable at this call and writes a snapshot covering them, with its
  // marker (the clean-shutdown snapshot, SPEC 7): call it after the last
  // producer stopped and before WalWriter::close(). OK when that snapshot was
  // written (or not asked for); otherwise the failure, and the caller writes
  // the shutdown snapshot another way.
  [[nodiscard]] Status stop(bool final_snapshot);

  // Any thread.
  [[nodiscard]] bool ready() const noexcept { return ready_.load(std::memory_order_acquire); }
  [[nodiscard]] bool failed() const noexcept { return failed_.load(std::memory_order_acquire); }
  [[nodiscard]] std::uint64_t applied_sequence() const noexcept {
    return applied_sequence_.load(std::memory_order_acquire);
  }
  // Durable records the shadow does not hold yet.
  [[nodiscard]] std::uint64_t lag() const noexcept;
  [[nodiscard]] CheckpointerStats stats() const;
  // The failure that stopped the checkpointer (OK while it runs).
  [[nodiscard]] Status failure() const;

 private:
  void run() noexcept;
  [[nodiscard]] Status build_shadow();
  // Applies up to `max` records at or below `limit`; `applied` gets how many.
  [[nodiscard]] Status apply_batch(std::uint64_t limit, std::size_t max, std::size_t& applied);
  [[nodiscard]] Status take_snapshot();
  void append_marker(std::uint64_t covered);
  void note(const std::string& line);
  void fail(Status status);

  CheckpointerOptions options_;
  WalWriter& wal_;
  ProducerId producer_;
  const PanCipher* cipher_;

  std::thread thread_;
  mutable std::mutex mutex_;  // guards stats_, failure_, and the wake-up below
  std::condition_variable wake_;
  bool stop_requested_ = false;
  bool final_requested_ = false;
  std::uint64_t final_target_ = 0;
  Status final_status_;
  CheckpointerStats stats_;
  Status failure_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> failed_{false};
  std::atomic<std::uint64_t> applied_sequence_{0};

  // The checkpointer's thread only.
  std::unique_ptr<core::Core> shadow_;
  struct Follow;
  std::unique_ptr<Follow> follow_;
  std::uint64_t last_covered_ = 0;
};

}  // namespace authswitch::ledger
