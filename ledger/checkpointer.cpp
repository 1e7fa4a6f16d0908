#include "ledger/checkpointer.h"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <vector>

#include "core/assert.h"
#include "core/thread_class.h"
#include "core/thread_name.h"
#include "ledger/core_recovery.h"
#include "ledger/core_snapshot.h"
#include "ledger/log_follower.h"
#include "ledger/record_format.h"

namespace authswitch::ledger {
namespace {

using Clock = std::chrono::steady_clock;

double thread_cpu_seconds() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A marker append meets a full queue only if the writer is far behind; it is
// retried this many times (a yield each) before the marker is given up with
// a log line. The snapshot file itself is what recovery uses; the marker is
// the log's account of it.
constexpr int marker_append_tries_max = 100'000;

}  // namespace

struct Checkpointer::Follow {
  LogFollower follower;
  std::unique_ptr<RecordReplayer> replayer;  // made with the shadow
};

Checkpointer::Checkpointer(CheckpointerOptions options, WalWriter& wal, ProducerId producer,
                           const PanCipher* cipher)
    : options_(std::move(options)), wal_(wal), producer_(producer), cipher_(cipher),
      follow_(std::make_unique<Follow>()) {
  AS_ASSERT(options_.snapshot_every >= 1);
  AS_ASSERT(options_.snapshots_kept >= 1);
  AS_ASSERT(options_.batch_records >= 1);
  AS_ASSERT(options_.make_core != nullptr);
}

Checkpointer::~Checkpointer() {
  if (thread_.joinable()) (void)stop(false);
}

void Checkpointer::start() {
  AS_ASSERT(!thread_.joinable());
  thread_ = std::thread([this] {
    core::name_this_thread("as-checkpoint");
    run();
  });
}

Status Checkpointer::stop(bool final_snapshot) {
  if (!thread_.joinable()) {
    return final_snapshot ? Status::error(Fault::closed, options_.dir, -1, "the checkpointer is not running")
                          : Status{};
  }
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stop_requested_ = true;
    final_requested_ = final_snapshot;
    // Every producer has stopped: what is durable now is the log's content
    // but for records still queued (a few, replayed at the next start).
    final_target_ = wal_.durable_sequence();
    final_status_ = Status::error(Fault::closed, options_.dir, -1, "the checkpointer ended before its final snapshot");
  }
  wake_.notify_all();
  thread_.join();
  if (!final_snapshot) return Status{};
  const std::lock_guard<std::mutex> lock(mutex_);
  return final_status_;
}

std::uint64_t Checkpointer::lag() const noexcept {
  const std::uint64_t durable = wal_.durable_sequence();
  const std::uint64_t applied = applied_sequence();
  return durable > applied ? durable - applied : 0;
}

CheckpointerStats Checkpointer::stats() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  CheckpointerStats s = stats_;
  s.applied_sequence = applied_sequence();
  return s;
}

Status Checkpointer::failure() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return failure_;
}

void Checkpointer::note(const std::string& line) {
  if (options_.log) {
    options_.log(line);
  } else {
    std::fprintf(stderr, "authswitch: %s\n", line.c_str());
  }
}

void Checkpointer::fail(Status status) {
  AS_ASSERT(!status.ok());
  note("checkpointer stopped, no more periodic snapshots until a restart: " + status.to_string());
  const std::lock_guard<std::mutex> lock(mutex_);
  failure_ = std::move(status);
  failed_.store(true, std::memory_order_release);
}

Status Checkpointer::build_shadow() {
  shadow_ = options_.make_core();
  if (shadow_ == nullptr) return Status::error(Fault::io, options_.dir, -1, "could not build the shadow core");
  std::uint64_t next = 1;
  if (options_.base_snapshot) {
    std::vector<std::byte> payload;
    if (Status s = read_snapshot(*options_.base_snapshot,
                                 [&](std::span<const std::byte> chunk) {
                                   payload.insert(payload.end(), chunk.begin(), chunk.end());
                                   return Status{};
                                 });
        !s) {
      return s;
    }
    if (Status s = load_core_snapshot(payload, *shadow_, cipher_); !s) return s;
    last_covered_ = options_.base_snapshot->covered_sequence;
    next = last_covered_ + 1;
  }
  if (Status s = follow_->follower.open(options_.dir, next); !s) return s;
  follow_->replayer = std::make_unique<RecordReplayer>(*shadow_, cipher_);
  applied_sequence_.store(next - 1, std::memory_order_release);
  return Status{};
}

Status Checkpointer::apply_batch(std::uint64_t limit, std::size_t max, std::size_t& applied) {
  applied = 0;
  RecordView record;
  bool has = false;
  Status status;
  while (applied < max) {
    status = follow_->follower.next(limit, record, has);
    if (!status || !has) break;
    status = follow_->replayer->add(record);
    if (!status) {
      status = name_refused_record(options_.dir, follow_->replayer->failed_sequence(), std::move(status));
      break;
    }
    ++applied;
  }
  // A snapshot may follow: the shadow must hold every record followed.
  if (status) {
    status = follow_->replayer->drain();
    if (!status) status = name_refused_record(options_.dir, follow_->replayer->failed_sequence(), std::move(status));
  }
  applied_sequence_.store(follow_->follower.next_sequence() - 1, std::memory_order_release);
  return status;
}

void Checkpointer::append_marker(std::uint64_t covered) {
  std::array<std::byte, format::snapshot_marker_payload_bytes> payload{};
  format::store<std::uint64_t>(payload.data(), covered);
  for (int i = 0; i < marker_append_tries_max; ++i) {
    const AppendResult r = wal_.append(producer_, format::type_snapshot_marker, payload);
    if (r.ok()) return;
    if (r.fault != Fault::queue_full) {
      note("snapshot covering " + std::to_string(covered) + ": marker not logged: " +
           std::string(fault_name(r.fault)));
      return;
    }
    ::sched_yield();
  }
  note("snapshot covering " + std::to_string(covered) + ": marker not logged: the log's queue stayed full");
}

Status Checkpointer::take_snapshot() {
  const std::uint64_t covered = applied_sequence();
  const auto started = Clock::now();
  const double cpu_started = thread_cpu_seconds();
  SnapshotInfo info;
  const Status written = write_core_snapshot(options_.dir, *shadow_, options_.loaded_cards, covered, cipher_, &info);
  // Tried once per interval: a full disk is not retried every batch.
  last_covered_ = covered;
  if (!written) {
    note("snapshot covering sequence " + std::to_string(covered) + " failed: " + written.to_string());
    return written;
  }
  const double seconds = seconds_since(started);
  append_marker(covered);
  PruneResult pruned;
  const Status prune = prune_log(options_.dir, options_.snapshots_kept, &pruned);
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.snapshots_written;
    stats_.snapshot_cpu_seconds += thread_cpu_seconds() - cpu_started;
    stats_.last_covered = covered;
    stats_.last_snapshot_seconds = seconds;
    stats_.last_snapshot_bytes = info.payload_bytes;
    stats_.segments_removed += pruned.segments_removed;
    stats_.snapshots_removed += pruned.snapshots_removed;
  }
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.3f", seconds);
  note("snapshot covering sequence " + std::to_string(covered) + " written in " + secs + " s (" +
       std::to_string(info.payload_bytes) + " bytes); removed " + std::to_string(pruned.segments_removed) +
       " segment(s) (" + std::to_string(pruned.segments_recycled) + " kept for reuse) and " +
       std::to_string(pruned.snapshots_removed) + " older snapshot(s)" +
       (prune ? std::string() : "; pruning failed: " + prune.to_string()));
  return Status{};
}

void Checkpointer::run() noexcept {
  // Per-thread on Linux: only this thread gets the lower share.
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), options_.nice);
  (void)core::set_current_thread_class(options_.thread_class);
  const auto build_started = Clock::now();
  if (Status s = build_shadow(); !s) {
    fail(std::move(s));
    return;
  }
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stats_.build_seconds = seconds_since(build_started);
    stats_.build_cpu_seconds = thread_cpu_seconds();
  }
  ready_.store(true, std::memory_order_release);
  bool promoted = false;
  for (;;) {
    bool stopping = false, final_snapshot = false;
    std::uint64_t target = 0;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      stopping = stop_requested_;
      final_snapshot = final_requested_;
      target = final_target_;
    }
    if (stopping && !final_snapshot) break;
    if (stopping && !promoted) {
      // The shutdown now waits for the final snapshot: SCHED_IDLE on a busy
      // host could hold it up for minutes.
      if (options_.thread_class == core::ThreadClass::background) {
        (void)core::set_current_thread_class(core::ThreadClass::ordinary);
      }
      promoted = true;
    }
    const std::uint64_t limit = stopping ? target : wal_.durable_sequence();
    std::size_t applied = 0;
    if (Status s = apply_batch(limit, options_.batch_records, applied); !s) {
      fail(std::move(s));
      return;
    }
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      stats_.cpu_seconds = thread_cpu_seconds() - stats_.build_cpu_seconds;
    }
    if (stopping) {
      if (applied_sequence() < target) continue;  // catching up, at full speed
      Status final_status = Status{};
      if (applied_sequence() > last_covered_) final_status = take_snapshot();
      const std::lock_guard<std::mutex> lock(mutex_);
      final_status_ = std::move(final_status);
      stats_.cpu_seconds = thread_cpu_seconds() - stats_.build_cpu_seconds;
      break;
    }
    if (applied_sequence() - last_covered_ >= options_.snapshot_every) (void)take_snapshot();
    if (applied == options_.batch_records) {
      ::sched_yield();  // behind: let the switch's threads have the core first
    } else {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(options_.idle_wait_ms), [this] { return stop_requested_; });
    }
  }
}

}  // namespace authswitch::ledger
