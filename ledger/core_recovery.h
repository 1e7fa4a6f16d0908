// Start-up of the core from the log (SPEC 7): the latest valid snapshot, then
// every event recorded after it, applied with Core::apply (no re-deciding).
//
// Called once, before any shard thread runs and before WalWriter::open():
//
//   auto core = make Core from the accounts file (the same as the first run);
//   CoreRecoveryResult rec;
//   Status s = recover_core(wal_dir, *core, &cipher, rec);   // stop on error
//   WalWriter wal(opts); wal.open();                        // cuts a torn tail
//
// Records of other types (the io layer's, the ledger's) are skipped. A record
// of a core event type that does not decode is corruption: recovery stops
// with an error naming the sequence and what is wrong, never guesses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/core.h"
#include "ledger/log_reader.h"
#include "ledger/pan_cipher.h"
#include "ledger/snapshot.h"
#include "ledger/status.h"

namespace authswitch::ledger {

struct CoreRecoveryResult {
  std::optional<SnapshotInfo> snapshot;  // loaded, if any
  std::uint64_t records_read = 0;        // after the snapshot, every type
  std::uint64_t events_applied = 0;      // core events among them
  std::uint64_t last_sequence = 0;       // of the log (0: empty)
  std::uint64_t next_sequence = 1;       // what the writer will number next (before its own records)
  std::optional<TailCut> tail_cut;       // WalWriter::open() cuts it
  // Answers to requests and reversals on unknown cards (log records, and the
  // snapshot's entries) whose PAN was hashed under another key than the
  // core's (the PAN key changed): a retransmission of one is answered 94
  // (same key, content not provably the same) instead of its stored answer.
  std::uint64_t keyed_pan_other_key = 0;
  double seconds = 0;                    // authswitch_recovery_seconds
};

// `cipher` decrypts cards added (null: a log with one fails).
[[nodiscard]] Status recover_core(const std::string& wal_dir, core::Core& core, const PanCipher* cipher,
                                  CoreRecoveryResult& result);

// One record into the core: decode, restore the PAN from the card, apply.
// Non-core types are ignored (returns OK, *applied = false).
[[nodiscard]] Status apply_record(const RecordView& record, core::Core& core, const PanCipher* cipher,
                                  bool* applied = nullptr);

}  // namespace authswitch::ledger
