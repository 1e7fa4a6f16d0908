#include "io/switch_records.h"

#include <type_traits>

#include "core/constants.h"
#include "io/idle_strategy.h"
#include "ledger/pan_mask.h"
#include "ledger/record_registry.h"

namespace authswitch::io {
namespace {

// A full producer queue is ~14 ms of backlog (constants.h); retrying this
// many times with a pause (~50 ns each) covers a slow fdatasync before the
// decision is given up as a fault.
constexpr std::uint32_t full_queue_retries = 1u << 20;

static_assert(std::is_trivially_copyable_v<ReceivedRecord> && sizeof(ReceivedRecord) <= constants::wal_payload_bytes_max);
static_assert(std::is_trivially_copyable_v<DecisionRecord> && sizeof(DecisionRecord) <= constants::wal_payload_bytes_max);

void fill_decision(const core::TxnKey& key, const core::TxnContent& content, DecisionRecord& r) {
  r.key_hi = key.hi;
  r.key_lo = key.lo;
  r.amount = content.amount;
  if (content.pan.digits != 0) {
    const std::string digits = core::pan_digits(content.pan);  // short string: no heap (SSO, <= 19)
    mask_into(digits, r.masked_pan, r.pan_length);
  }
}

}  // namespace

void mask_into(std::string_view pan, std::array<char, 19>& out, std::uint8_t& length) noexcept {
  const ledger::MaskedPan m = ledger::mask_pan(pan);
  for (std::size_t i = 0; i < m.length; ++i) out[i] = m.chars[i];
  length = static_cast<std::uint8_t>(m.length);
}

void WalDecisionSink::append_bytes(SwitchRecord type, std::span<const std::byte> payload) noexcept {
  for (std::uint32_t attempt = 0; attempt < full_queue_retries; ++attempt) {
    const ledger::AppendResult r = wal_.append(producer_, static_cast<std::uint16_t>(type), payload);
    if (r.ok()) {
      last_ticket_ = r.ticket;
      return;
    }
    if (r.fault != ledger::Fault::queue_full) break;
    cpu_relax();
  }
  failed_ = true;
}

void WalDecisionSink::on_event(const core::Event& e) {
  if (const auto* d = std::get_if<core::DecisionEvent>(&e)) {
    DecisionRecord r;
    fill_decision(d->key, d->content, r);
    r.mti_class = static_cast<std::uint8_t>(d->mti_class);
    r.rc = static_cast<std::uint8_t>(d->rc);
    r.reason = core::encode_reason(d->reason);
    r.flags = static_cast<std::uint8_t>((d->has_approval ? 1 : 0) | (d->duplicate ? 2 : 0) | (d->stored ? 4 : 0));
    r.approval = d->approval;
    r.card = d->card;
    append_bytes(SwitchRecord::decision, std::as_bytes(std::span<const DecisionRecord, 1>(&r, 1)));
  } else if (const auto* v = std::get_if<core::ReversalEvent>(&e)) {
    DecisionRecord r;
    fill_decision(v->key, v->content, r);
    r.mti_class = static_cast<std::uint8_t>(v->mti_class);
    r.rc = static_cast<std::uint8_t>(v->rc);
    r.reason = core::encode_reason(v->reason);
    r.flags = static_cast<std::uint8_t>((v->duplicate ? 2 : 0) | (v->stored ? 4 : 0));
    append_bytes(SwitchRecord::reversal, std::as_bytes(std::span<const DecisionRecord, 1>(&r, 1)));
  } else {
    const CoreEventRecord r{static_cast<std::uint32_t>(e.index()), 0};
    append_bytes(SwitchRecord::core_event, std::as_bytes(std::span<const CoreEventRecord, 1>(&r, 1)));
  }
}

void register_switch_record_types() {
  ledger::RecordRegistry& registry = ledger::wal_record_registry();
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::link_up), "link_up", nullptr);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::link_down), "link_down", nullptr);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::signed_on), "signed_on", nullptr);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::received), "received", nullptr);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::response_written), "response_written", nullptr);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::dropped), "dropped", nullptr);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::out_of_step), "out_of_step", nullptr);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::decision), "io_decision", nullptr);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::reversal), "io_reversal", nullptr);
  (void)registry.add(static_cast<std::uint16_t>(SwitchRecord::core_event), "io_core_event", nullptr);
}

}  // namespace authswitch::io
