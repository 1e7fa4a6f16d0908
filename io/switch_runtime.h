// `authswitch serve` as an object (SPEC 9, 13): the decision core, the
// write-ahead log, one authorization thread per `cores.auth` entry (each
// owning one core shard), and per link an acceptor (listen) or connector
// (connect) thread that runs one ConnectionLoop thread per connection.
// Tests start and stop it in-process; tools/cmd_serve.cpp wraps it with
// signals.
//
// Start-up: the PAN key, the core from the accounts, recovery (the latest
// snapshot and every core event after it, ledger/core_recovery.h), then the
// log is opened for appending.
//
// Shutdown (stop(), SPEC 0 and 9): stop accepting and reading; every
// connection answers everything it read and writes it; then the
// authorization threads end; then the log is closed (flush and a shutdown
// record) and a snapshot written. Every request read gets its answer.
//
// Threads: start(), stop() from one controlling thread; run_on_shard(),
// metrics() and the read-only accessors from any thread while running.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/thread_class.h"
#include "codec/codec.h"
#include "core/core.h"
#include "io/auth_worker.h"
#include "io/config.h"
#include "io/connection_loop.h"
#include "io/hold_sweeper.h"
#include "io/metrics_registry.h"
#include "io/switch_metrics.h"
#include "io/switch_slots.h"
#include "ledger/checkpointer.h"
#include "ledger/log_files.h"
#include "ledger/pan_cipher.h"
#include "ledger/wal_event_sink.h"

namespace authswitch::io {

struct SwitchOptions {
  Config config;
  // Duplicate-key table entries (a power of two); tests use a small one, the
  // default commits constants::txn_table_capacity_default at start-up.
  std::size_t txn_capacity = constants::txn_table_capacity_default;
  // One line per start-up fact and link event; null: stdout.
  std::function<void(const std::string&)> log;
  // Periodic snapshots (wal.snapshot_every, ledger/checkpointer.h) need a
  // second copy of the accounts for the checkpointer's shadow core, loaded
  // exactly as the first (called once, on the checkpointer's thread). Null:
  // no periodic snapshots, only the one at clean shutdown.
  std::function<std::unique_ptr<core::Accounts>()> reload_accounts;
  // How often held amounts older than hold_days are released (SPEC 8,
  // io/hold_sweeper.h); 0: never (tests whose holds must stay put).
  std::int64_t hold_sweep_interval_ms = constants::switch_hold_sweep_interval_ms;
  // How the kernel schedules the threads (core/thread_class.h): the answer's
  // path asks for short slices, the checkpointer runs SCHED_IDLE. False:
  // threads as created (serve_e2e's A/B).
  bool answer_path_slices = true;
  bool background_idle = true;
};

class SwitchRuntime {
 public:
  explicit SwitchRuntime(SwitchOptions options);
  ~SwitchRuntime();  // stops if still running
  SwitchRuntime(const SwitchRuntime&) = delete;
  SwitchRuntime& operator=(const SwitchRuntime&) = delete;

  // Opens the log, builds the core from `accounts`, starts every thread and
  // binds every listen link. Empty on success, else why not (nothing left
  // running then).
  [[nodiscard]] std::string start(std::unique_ptr<core::Accounts> accounts);
  // The bound port of link `link` (a listen link configured with port 0 gets
  // an ephemeral one).
  [[nodiscard]] std::uint16_t port(std::size_t link) const;
  // Graceful, in SPEC order; returns the log's close status as text (empty: OK).
  // `connections_drained`, when given, runs once every connection has
  // answered what it read and closed, before the authorization threads end:
  // serve stops its HTTP API there, so /readyz answers 503 (ready() is false
  // from the first step) for as long as the drain takes, and an API request
  // waiting on a shard thread still finishes.
  std::string stop(const std::function<void()>& connections_drained = {});

  // Runs `task` on the thread owning `shard` between its batches and waits
  // for it (the HTTP API's balance top-ups and limit changes).
  void run_on_shard(core::ShardId shard, const ShardTask& task);

  [[nodiscard]] core::Core& core() noexcept { return *core_; }
  // The time the API presents current and next periods at (SPEC 4: the
  // current period holds the latest transaction time seen): the system
  // clock, or with "clock": "message" the latest field 7 decided, which a
  // replay of last month's traffic keeps in last month.
  [[nodiscard]] core::TimeMs presentation_now() const;
  [[nodiscard]] MetricsRegistry& metrics() noexcept { return registry_; }
  // /metrics: the registry after sampling what the core counts itself (the
  // transaction table's reuse and its 91s by reason).
  [[nodiscard]] std::string render_metrics();
  // The log's fdatasync durations since start (authswitch_wal_fsync_seconds):
  // benchmarks read the disk's own tail in the same run from it.
  [[nodiscard]] LatencyHistogram wal_fsync_histogram() const;
  [[nodiscard]] ledger::WalWriter& wal() noexcept { return *wal_; }
  // The control thread's sink (the HTTP API's card additions and status
  // changes): its own WAL producer. Callers serialise their calls.
  [[nodiscard]] core::EventSink& control_sink() noexcept { return *control_sink_; }
  [[nodiscard]] std::size_t auth_threads() const noexcept { return workers_.size(); }
  // Connections currently served (all links).
  [[nodiscard]] std::size_t connections() const noexcept;
  // Requests read on link `link` and not yet answered, all its connections
  // together (what max_inflight bounds); any thread after start().
  [[nodiscard]] std::uint32_t inflight(std::size_t link) const noexcept { return link_states_[link].inflight_now(); }
  // /readyz (SPEC 6), any thread after start(): every link is up (a listen
  // link accepting; a connect link connected, and signed on with sign_on:
  // LinkState::up, which authswitch_link_up mirrors) and the switch is not
  // stopping.
  [[nodiscard]] bool ready() const noexcept;

 private:
  struct Listener;
  void log_line(const std::string& line);
  [[nodiscard]] core::ThreadClass answer_path_class() const noexcept {
    return options_.answer_path_slices ? core::ThreadClass::answer_path : core::ThreadClass::unchanged;
  }
  static void log_trampoline(void* context, const std::string& line);
  void accept_loop(std::size_t link);
  void connect_loop(std::size_t link);
  // A free connection slot, or npos; joins the thread that last used it.
  std::size_t claim_slot();
  void serve_connection(std::size_t link, std::size_t slot, int fd, std::uint16_t peer_port, bool* signed_on);
  void hold_loop();
  [[nodiscard]] HoldSweeper make_hold_sweeper();
  void sweep_holds_at_start();
  void log_holds_expired(std::size_t expired, const char* when);

  SwitchOptions options_;
  std::vector<std::unique_ptr<codec::DialectResult>> dialects_;
  std::vector<LinkShared> links_;
  std::unique_ptr<ledger::PanCipher> cipher_;
  std::uint32_t loaded_cards_ = 0;
  double recovery_seconds_ = 0;
  // Before wal_: the writer records its syncs into it until it is closed.
  MetricsRegistry registry_;
  std::unique_ptr<ledger::WalSyncObserver> wal_sync_observer_;
  HistogramSeries* wal_fsync_ = nullptr;
  Counter wal_records_;
  // written_sequence() as of the last scrape (from the log's opening).
  std::atomic<std::uint64_t> wal_records_counted_{0};
  // The log's notify eventfd (LoopShared::released_fd). Declared before
  // wal_ so it is closed after the writer thread that writes it has ended.
  ledger::FileDescriptor released_fd_;
  std::unique_ptr<ledger::WalWriter> wal_;
  std::unique_ptr<ledger::WalEventSink> control_sink_;
  std::unique_ptr<ledger::Checkpointer> checkpointer_;  // after wal_: destroyed (stopped) before it
  std::unique_ptr<core::Core> core_;
  Gauge txn_reused_;
  Gauge txn_full_window_;
  Gauge txn_full_holds_;
  Gauge checkpointer_up_;
  Gauge snapshot_lag_;
  Gauge snapshots_written_;
  Gauge snapshot_covered_;
  Gauge snapshot_seconds_;
  std::unique_ptr<SwitchMetrics> metrics_;
  std::unique_ptr<LinkState[]> link_states_;  // one per link (io/link_state.h)
  std::unique_ptr<ConnectionSlot[]> slots_;
  std::vector<int> slot_eventfds_;
  std::unique_ptr<std::atomic<bool>[]> slot_busy_;
  std::vector<std::thread> slot_threads_;
  std::mutex slot_mutex_;
  std::vector<std::unique_ptr<AuthWorker>> workers_;
  std::vector<AuthWorker*> worker_ptrs_;
  std::vector<ledger::ProducerId> worker_producers_;
  LoopShared shared_;
  std::vector<int> listen_fds_;
  std::vector<std::uint16_t> ports_;
  std::vector<std::thread> link_threads_;
  std::thread hold_thread_;
  int stop_fd_ = -1;
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  std::size_t connection_threads_started_ = 0;
  std::mutex log_mutex_;
};

}  // namespace authswitch::io
