#include "io/auth_worker.h"

#include <string>

#include "core/assert.h"
#include "core/thread_class.h"
#include "core/thread_name.h"
#include "io/cpu_affinity.h"
#include "io/wall_clock.h"

namespace authswitch::io {

AuthWorker::AuthWorker(core::Core& core, core::ShardId shard, std::span<ConnectionSlot> slots,
                       ledger::WalWriter& wal, ledger::ProducerId producer, const ledger::PanCipher* cipher,
                       LatencyRecorder* decision_latency, Counter* duplicates)
    : core_(core),
      wal_(wal),
      shard_(shard),
      slots_(slots),
      sink_(wal, producer, cipher, &core),
      decision_latency_(decision_latency),
      duplicates_(duplicates) {
  AS_ASSERT(slots_.size() <= last_tickets_.size());
  last_tickets_.fill(no_results);
}

void AuthWorker::start(int cpu, core::ThreadClass cls) {
  AS_ASSERT(!thread_.joinable());
  thread_ = std::thread([this, cpu, cls] {
    core::name_this_thread("as-auth-" + std::to_string(shard_));
    if (cpu >= 0) (void)pin_current_thread(cpu, "auth " + std::to_string(shard_));
    (void)core::set_current_thread_class(cls);
    run();
  });
}

void AuthWorker::stop() {
  stopping_.store(true, std::memory_order_release);
  doorbell_.wake();
  if (thread_.joinable()) thread_.join();
}

void AuthWorker::post(ShardTask task) {
  tasks_.enqueue(std::move(task));
  doorbell_.ring();
}

bool AuthWorker::has_work() const noexcept {
  if (stopping_.load(std::memory_order_acquire) || tasks_.size_approx() != 0) return true;
  for (const ConnectionSlot& s : slots_) {
    if (s.active.load(std::memory_order_acquire) && !s.to_auth[shard_]->empty()) return true;
  }
  return false;
}

std::size_t AuthWorker::pass() noexcept {
  std::size_t total = 0;
  for (ConnectionSlot& s : slots_) {
    if (!s.active.load(std::memory_order_acquire)) continue;
    SpscRing<AuthResult>& back = *s.from_auth[shard_];
    std::uint64_t last_ticket = 0;
    const auto decide = [&](AuthJob& job, auto ahead) {
      if (const AuthJob* next = ahead(constants::switch_prefetch_index_ahead)) {
        core_.prefetch(next->request, core::Core::PrefetchStage::index);
      }
      if (const AuthJob* next = ahead(constants::switch_prefetch_user_ahead)) {
        core_.prefetch(next->request, core::Core::PrefetchStage::user);
      }
      if (const AuthJob* next = ahead(constants::switch_prefetch_limits_ahead)) {
        core_.prefetch(next->request, core::Core::PrefetchStage::limits);
      }
      const std::uint64_t t0 = monotonic_ns();
      AuthResult result;
      result.inflight = job.inflight;
      sink_.reset_fault();
      if (wal_.room(sink_.producer()) < constants::switch_records_per_operation) {
        // Reserve before deciding: a decision applied without its record
        // would answer 91 while the state moved, and a retransmission would
        // get the stored answer. The core is not touched; a retry is decided
        // afresh once the log has caught up (SPEC 3: 91, retry helps).
        result.response = core::AuthResponse{};
        result.response.rc = core::ResponseCode::system_unavailable;
        if (shed_ != nullptr) shed_->inc();
      } else {
        result.response = core_.authorize(shard_, job.request, sink_);
      }
      if (const ledger::Fault fault = sink_.fault(); fault != ledger::Fault::none) {
        // No record, no answer on the wire as if there were one: 91 when the
        // log's queue was full (cannot happen after the reservation; kept as
        // the safe answer), else 96 (SPEC 3).
        result.response = core::AuthResponse{};
        result.response.rc = fault == ledger::Fault::queue_full ? core::ResponseCode::system_unavailable
                                                                 : core::ResponseCode::system_error;
      }
      result.ticket = sink_.last_ticket();
      last_ticket = result.ticket;
      result.decision_ns = monotonic_ns() - t0;
      if (decision_latency_ != nullptr) decision_latency_->record(result.decision_ns);
      if (duplicates_ != nullptr && result.response.duplicate) duplicates_->inc();
      // Never full: the ring holds the slot's whole in-flight table.
      const bool pushed = back.try_push(result);
      AS_ASSERT(pushed);
    };
    bool head = true;
    const std::size_t n = s.to_auth[shard_]->pop_batch_ahead(
        constants::switch_auth_batch_max, [&](AuthJob& job, auto ahead) {
          if (head) {
            // The jobs the steady stages would have reached before this
            // batch began: their index lines now, so their misses overlap.
            head = false;
            for (std::size_t k = 1; k < constants::switch_prefetch_index_ahead; ++k) {
              if (const AuthJob* next = ahead(k)) core_.prefetch(next->request, core::Core::PrefetchStage::index);
            }
          }
          decide(job, ahead);
        });
    if (n != 0) {
      total += n;
      last_tickets_[static_cast<std::size_t>(&s - slots_.data())] = last_ticket;
    }
  }
  if (total == 0) return 0;
  decided_.fetch_add(total, std::memory_order_relaxed);
  // Every result is pushed: if this thread writes the log itself, the log's
  // signal after that write wakes the loops, once, when the answers can
  // leave; else each loop is rung as before.
  const bool written_here = wal_.end_batch(sink_.producer()) && loops_woken_by_log_;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (last_tickets_[i] == no_results) continue;
    if (!written_here && wake_loop_now(last_tickets_[i])) slots_[i].waker.ring();
    last_tickets_[i] = no_results;
  }
  return total;
}

bool AuthWorker::wake_loop_now(std::uint64_t last_ticket) const noexcept {
  if (!loops_woken_by_log_ || last_ticket == 0) return true;
  // Pairs with the fence in WalWriter::notify(): either the released count
  // read here already covers the batch (so ring: the log's signal may have
  // come before the loop could see these results), or the writer's publish
  // comes after our pushes, and its signal wakes a loop that sees them.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return wal_.released_count(sink_.producer()) >= last_ticket || wal_.failed();
}

std::size_t AuthWorker::run_tasks() noexcept {
  std::size_t n = 0;
  ShardTask task;
  while (tasks_.try_dequeue(task)) {
    task(core_, shard_, sink_);
    task = nullptr;
    ++n;
  }
  if (n != 0) (void)wal_.end_batch(sink_.producer());
  return n;
}

void AuthWorker::run() noexcept {
  IdleStrategy idle(doorbell_, IdlePolicy{constants::switch_auth_idle_spins, constants::switch_auth_idle_yields});
  for (;;) {
    const std::size_t work = pass() + run_tasks();
    if (work != 0) {
      idle.reset();
      continue;
    }
    // Stop only when nothing is left: the runtime stops workers after every
    // connection loop has ended, so an empty pass now is final.
    if (stopping_.load(std::memory_order_acquire)) return;
    idle.idle([this] { return has_work(); });
  }
}

}  // namespace authswitch::io
