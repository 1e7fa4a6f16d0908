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
#include <memory>
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

// Names a record refused for its content (a RecordReplayer error about
// failed_sequence(): the record passed every check of the log's format) as
// a damaged record is named (SPEC 7): by its segment file and byte offset,
// looked up again on this error path only. `refused` unchanged when the
// record is not found.
[[nodiscard]] Status name_refused_record(const std::string& wal_dir, std::uint64_t sequence, Status refused);

// `cipher` decrypts cards added (null: a log with one fails).
[[nodiscard]] Status recover_core(const std::string& wal_dir, core::Core& core, const PanCipher* cipher,
                                  CoreRecoveryResult& result);

class ReplayWindow;

// Records into a core in log order, as start-up replay and the checkpointer
// apply them: each request is decoded when it is added and applied up to 16
// records later, its cache lines prefetched meanwhile (replay is bound by
// misses: several times the rate of applying one record at a time, bench/RESULTS.md). Any other core event
// drains the window and is applied alone. The core reflects every record
// added only after drain(). Records of other types are counted and skipped.
class RecordReplayer {
 public:
  RecordReplayer(core::Core& core, const PanCipher* cipher);
  ~RecordReplayer();
  RecordReplayer(const RecordReplayer&) = delete;
  RecordReplayer& operator=(const RecordReplayer&) = delete;

  // A record's payload need not outlive the call. An error is corruption
  // (the record does not decode or does not fit the accounts): stop.
  [[nodiscard]] Status add(const RecordView& record);
  [[nodiscard]] Status drain();

  [[nodiscard]] std::uint64_t records_read() const noexcept { return records_read_; }
  [[nodiscard]] std::uint64_t events_applied() const noexcept { return events_applied_; }
  // As CoreRecoveryResult::keyed_pan_other_key.
  [[nodiscard]] std::uint64_t keyed_pan_other_key() const noexcept { return keyed_pan_other_key_; }
  // The sequence of the record an add() or drain() error is about (0: none
  // yet), for the caller to name its file and offset (find_record).
  [[nodiscard]] std::uint64_t failed_sequence() const noexcept;

 private:
  core::Core& core_;
  const PanCipher* cipher_;
  std::unique_ptr<ReplayWindow> window_;
  std::uint64_t records_read_ = 0;
  std::uint64_t events_applied_ = 0;
  std::uint64_t keyed_pan_other_key_ = 0;
  std::uint64_t failed_sequence_ = 0;
};

}  // namespace authswitch::ledger
