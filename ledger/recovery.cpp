#include "ledger/recovery.h"

#include <chrono>

namespace authswitch::ledger {

Status recover(const std::string& dir, const SnapshotLoader& load, const RecordApplier& apply,
               RecoveryResult& result) {
  const auto started = std::chrono::steady_clock::now();
  result = RecoveryResult{};
  if (Status s = find_latest_snapshot(dir, result.snapshot, &result.rejected_snapshots); !s) return s;
  std::uint64_t from = 1;
  if (result.snapshot) {
    if (Status s = read_snapshot(*result.snapshot, load); !s) return s;
    from = result.snapshot->covered_sequence + 1;
  }
  LogReader reader;
  if (Status s = reader.open(dir, from); !s) {
    if (s.fault() == Fault::missing_records && !result.rejected_snapshots.empty()) {
      // Every snapshot refused (another build's, or damaged) and the log no
      // longer reaches back far enough to rebuild without one: say both.
      return Status::error(Fault::missing_records, dir, -1,
                           "no usable snapshot (" + std::to_string(result.rejected_snapshots.size()) +
                               " refused, the newest: " + result.rejected_snapshots.front().to_string() +
                               ") and the log cannot replace it (" + s.to_string() +
                               "): restore a snapshot this build can read, or start the build that wrote it");
    }
    return s;
  }
  RecordView record;
  bool has_record = true;
  for (;;) {
    if (Status s = reader.next(record, has_record); !s) return s;
    if (!has_record) break;
    if (Status s = apply(record); !s) return s;
    ++result.records_applied;
  }
  result.last_sequence = reader.last_sequence();
  result.tail_cut = reader.tail_cut();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return Status{};
}

}  // namespace authswitch::ledger
