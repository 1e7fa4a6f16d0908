// Encode on the stack, append, remember the ticket or the fault.
#include "ledger/wal_event_sink.h"

#include <array>

#include "core/core.h"

namespace authswitch::ledger {

WalEventSink::WalEventSink(WalWriter& wal, ProducerId producer, const PanCipher* cipher,
                           const core::Core* pan_lookup) noexcept
    : wal_(wal),
      producer_(producer),
      cipher_(cipher),
      pan_lookup_(pan_lookup),
      pan_key_id_(pan_lookup != nullptr ? core::pan_hash_key_id(pan_lookup->config().pan_hash_key) : 0) {}

void WalEventSink::on_event(const core::Event& event) {
  std::uint32_t card = core::no_index;
  if (pan_lookup_ != nullptr) {
    if (const auto* r = std::get_if<core::ReversalEvent>(&event); r != nullptr && !core::is_keyed(r->content.pan)) {
      if (const core::CardEntry* c = pan_lookup_->find_card_by_pan(r->content.pan)) card = c->card;
    }
  }
  std::array<std::byte, event_format::payload_bytes_max> buffer;
  EncodedEvent encoded;
  const CodecResult res = encode_event(event, card, cipher_, buffer, encoded, pan_key_id_);
  if (!res.ok()) {
    if (fault_ == Fault::none) {
      fault_ = Fault::crypto;
      encode_error_ = res.error;
    }
    return;
  }
  const AppendResult a = wal_.append(producer_, encoded.type, std::span<const std::byte>(buffer.data(), encoded.bytes));
  if (!a.ok()) {
    if (fault_ == Fault::none) fault_ = a.fault;
    return;
  }
  last_ticket_ = a.ticket;
  ++appended_;
}

}  // namespace authswitch::ledger
