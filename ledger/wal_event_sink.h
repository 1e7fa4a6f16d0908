// A core::EventSink that writes each event to the write-ahead log.
//
// One sink per producer thread (an authorization shard, the API thread): it
// owns no thread and takes no lock. on_event() encodes into a buffer on its
// stack and appends to its WalWriter producer; it allocates nothing except
// for a card added (PAN encryption, control thread).
//
// How the caller uses it, per request:
//   sink.reset_fault();
//   AuthResponse a = core.authorize(shard, request, sink);
//   if (sink.fault() != Fault::none) answer 91 (queue_full: retry helps) or
//       96 (the log failed) instead of `a`;
//   else hold the answer until wal.is_released(producer, sink.last_ticket()).
// An operation may emit several events (or none); last_ticket() is the last
// one appended, and released tickets are released in order, so waiting for
// the last covers them all.
#pragma once

#include <cstdint>

#include "core/events.h"
#include "ledger/event_codec.h"
#include "ledger/status.h"
#include "ledger/wal_writer.h"

namespace authswitch::core {
class Core;
}

namespace authswitch::ledger {

class WalEventSink final : public core::EventSink {
 public:
  // `cipher` encrypts the PAN of cards added (may be null for a sink that
  // never sees one: a card added then fails with Fault::crypto). `pan_lookup`
  // (may be null) resolves a reversal's PAN to its card index so replay can
  // restore it; it is read-only and lock-free (Core::find_card_by_pan). Its
  // PAN hash key's id is written beside an unknown card's hashed PAN.
  WalEventSink(WalWriter& wal, ProducerId producer, const PanCipher* cipher, const core::Core* pan_lookup) noexcept;

  void on_event(const core::Event& event) override;

  // The ticket of the last record appended (0: none yet).
  [[nodiscard]] std::uint64_t last_ticket() const noexcept { return last_ticket_; }
  // The first append or encode fault since reset_fault(); none when all went in.
  [[nodiscard]] Fault fault() const noexcept { return fault_; }
  [[nodiscard]] const char* encode_error() const noexcept { return encode_error_; }
  void reset_fault() noexcept {
    fault_ = Fault::none;
    encode_error_ = nullptr;
  }
  [[nodiscard]] std::uint64_t appended() const noexcept { return appended_; }
  [[nodiscard]] ProducerId producer() const noexcept { return producer_; }

 private:
  WalWriter& wal_;
  ProducerId producer_;
  const PanCipher* cipher_;
  const core::Core* pan_lookup_;
  std::uint32_t pan_key_id_ = 0;  // of pan_lookup_'s PAN hash key, written beside each hashed PAN
  std::uint64_t last_ticket_ = 0;
  std::uint64_t appended_ = 0;
  Fault fault_ = Fault::none;
  const char* encode_error_ = nullptr;
};

}  // namespace authswitch::ledger
