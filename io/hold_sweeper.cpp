#include "io/hold_sweeper.h"

#include <utility>

#include "io/switch_constants.h"

namespace authswitch::io {

HoldSweeper::HoldSweeper(RunOnShard run_on_shard, ledger::WalWriter& wal, std::vector<ledger::ProducerId> producers,
                         core::TimeMs hold_ms)
    : run_on_shard_(std::move(run_on_shard)),
      wal_(wal),
      producers_(std::move(producers)),
      hold_ms_(hold_ms),
      cursors_(producers_.size()) {}

HoldSweeper::Result HoldSweeper::sweep(core::TimeMs now, const std::atomic<bool>& stopping) {
  Result result;
  for (core::ShardId shard = 0; shard < producers_.size(); ++shard) {
    core::Core::HoldSweep& cursor = cursors_[shard];
    bool blocked = false;
    do {
      if (stopping.load(std::memory_order_acquire)) {
        result.complete = false;
        return result;
      }
      run_on_shard_(shard, [&](core::Core& core, core::ShardId s, core::EventSink& sink) {
        // Half the room stays for decisions; none taken while the log is
        // behind (its records would cost authorizations a 91).
        const std::size_t room = wal_.room(producers_[s]) / 2;
        if (room == 0) {
          blocked = true;
          return;
        }
        const std::size_t events = room < constants::switch_hold_sweep_slice_events_max
                                       ? room
                                       : constants::switch_hold_sweep_slice_events_max;
        result.expired += core.expire_holds_step(s, now, hold_ms_, sink, cursor,
                                                 constants::switch_hold_sweep_slice_entries, events);
      });
      if (blocked) {
        result.complete = false;
        break;
      }
    } while (cursor.next != 0);
  }
  return result;
}

}  // namespace authswitch::io
