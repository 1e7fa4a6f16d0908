// Start-up recovery (SPEC 7): the newest valid snapshot, then every record
// after it, in order. The core supplies what to do with each; the ledger
// supplies finding, checking and ordering.
//
// Sequence at start-up, by the caller:
//   1. recover(dir, load, apply, result)   -- state rebuilt; fails on corruption
//   2. WalWriter::open()                   -- cuts a torn tail (with a log line)
//                                             and starts a new segment
//   3. serve; every snapshot_every records: write_snapshot(), append a
//      snapshot_marker, prune_log(dir, constants::snapshots_kept)
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ledger/log_reader.h"
#include "ledger/snapshot.h"
#include "ledger/status.h"

namespace authswitch::ledger {

// Receives the snapshot's payload in chunks (see read_snapshot).
using SnapshotLoader = std::function<Status(std::span<const std::byte> chunk)>;
// Receives each record after the snapshot, ledger records included (the
// caller skips types it does not know). A non-OK return stops recovery.
using RecordApplier = std::function<Status(const RecordView& record)>;

struct RecoveryResult {
  std::optional<SnapshotInfo> snapshot;     // the one loaded, if any
  std::vector<Status> rejected_snapshots;   // newer ones that failed their checks
  std::uint64_t records_applied = 0;
  std::uint64_t last_sequence = 0;          // of the whole log (0: empty)
  std::optional<TailCut> tail_cut;          // found; WalWriter::open() cuts it
  double seconds = 0;                       // for authswitch_recovery_seconds
};

[[nodiscard]] Status recover(const std::string& dir, const SnapshotLoader& load, const RecordApplier& apply,
                             RecoveryResult& result);

}  // namespace authswitch::ledger
