// Hold expiry in a running switch (SPEC 8): a hold not cleared within
// `hold_days` expires, its amount released and the expiry recorded.
//
// The core knows how (`Core::expire_holds_step`); this decides when and how
// much at a time. A sweep walks the whole transaction table on every shard,
// a slice at a time, each slice run on the shard's own authorization thread
// between its batches (the only thread that may move that shard's totals),
// so authorizations wait at most one slice. Each slice expires no more holds
// than the shard's log producer has room for, keeping half the room for
// decisions: an expiry is applied only when its record can be queued, as a
// decision is (io/auth_worker.cpp).
//
// Threads: sweep() on one thread (the runtime's hold thread).
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "core/core.h"
#include "io/auth_worker.h"
#include "ledger/wal_writer.h"

namespace authswitch::io {

class HoldSweeper {
 public:
  // Runs a task on the thread owning a shard and waits for it.
  using RunOnShard = std::function<void(core::ShardId, const ShardTask&)>;

  HoldSweeper(RunOnShard run_on_shard, ledger::WalWriter& wal, std::vector<ledger::ProducerId> producers,
              core::TimeMs hold_ms);

  struct Result {
    std::size_t expired = 0;
    bool complete = true;  // false: stopped early (no log room, or stopping); the next sweep resumes there
  };
  // One walk of the table on every shard, expiring holds placed before
  // now - hold_ms.
  Result sweep(core::TimeMs now, const std::atomic<bool>& stopping);

 private:
  RunOnShard run_on_shard_;
  ledger::WalWriter& wal_;
  std::vector<ledger::ProducerId> producers_;  // per shard
  core::TimeMs hold_ms_;
  std::vector<core::Core::HoldSweep> cursors_;  // per shard: where its walk resumes
};

}  // namespace authswitch::io
