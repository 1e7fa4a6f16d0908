// Core state <-> snapshot payload; layout in core_snapshot.h.
#include "ledger/core_snapshot.h"

#include <array>
#include <cstring>
#include <vector>

#include "ledger/event_codec.h"

namespace authswitch::ledger {

namespace {

template <typename T>
void put(std::vector<std::byte>& out, T v) {
  const auto* p = reinterpret_cast<const std::byte*>(&v);
  out.insert(out.end(), p, p + sizeof v);
}

template <typename T>
bool get(std::span<const std::byte> in, std::size_t& at, T& v) {
  if (at + sizeof v > in.size()) return false;
  std::memcpy(&v, in.data() + at, sizeof v);
  at += sizeof v;
  return true;
}

Status bad(const std::string& what) { return Status::error(Fault::bad_snapshot, "snapshot", -1, what); }

}  // namespace

Status write_core_snapshot(const std::string& wal_dir, const core::Core& core, std::uint32_t loaded_cards,
                           std::uint64_t covered_sequence, const PanCipher* cipher, SnapshotInfo* written) {
  const core::Accounts& acc = core.accounts();
  if (loaded_cards > acc.card_pans.size()) return bad("more cards loaded than the core has");
  std::vector<std::byte> payload;
  put(payload, core_snapshot_format::version);
  put(payload, loaded_cards);
  put(payload, static_cast<std::uint32_t>(acc.card_pans.size() - loaded_cards));
  put(payload, core::pan_hash_key_id(core.config().pan_hash_key));
  for (std::uint32_t c = loaded_cards; c < acc.card_pans.size(); ++c) {
    const core::CardEntry* entry = acc.cards.find(acc.card_pans[c]);
    if (entry == nullptr) return bad("card " + std::to_string(c) + " missing from the PAN index");
    core::CardAddedEvent e;
    e.card = c;
    const std::string_view id = acc.card_ids.name(c);
    e.id_length = static_cast<std::uint8_t>(id.size());
    std::memcpy(e.id.data(), id.data(), id.size());
    e.pan = acc.card_pans[c];
    e.user = entry->user;
    e.expiry_yymm = entry->expiry_yymm;
    e.status = core::CardStatus::active;  // the current status is in the core state
    e.currency = entry->currency;
    std::array<std::byte, event_format::payload_bytes_max> buffer;
    EncodedEvent encoded;
    const CodecResult res = encode_event(core::Event{e}, core::no_index, cipher, buffer, encoded);
    if (!res.ok()) return Status::error(Fault::crypto, "snapshot", -1, res.error);
    put(payload, static_cast<std::uint16_t>(encoded.bytes));
    payload.insert(payload.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(encoded.bytes));
  }
  // The state (hundreds of MB for a million cards) is streamed after the
  // cards, not copied behind them, and its buffer is reserved at the size the
  // last snapshot of this thread needed, so it is not regrown (and copied)
  // ~20 times on the way up.
  static thread_local std::size_t last_state_bytes = 0;
  std::vector<std::byte> state;
  state.reserve(last_state_bytes + last_state_bytes / 16);
  core.save_state(state);
  last_state_bytes = state.size();
  put(payload, static_cast<std::uint64_t>(state.size()));
  return write_snapshot(
      wal_dir, covered_sequence,
      [&](SnapshotSink& sink) {
        if (Status s = sink.write(payload); !s) return s;
        return sink.write(state);
      },
      written);
}

Status load_core_snapshot(std::span<const std::byte> payload, core::Core& core, const PanCipher* cipher,
                          std::uint64_t* keyed_pan_other_key) {
  if (keyed_pan_other_key != nullptr) *keyed_pan_other_key = 0;
  std::size_t at = 0;
  std::uint32_t version = 0, loaded = 0, added = 0, pan_key_id = 0;
  if (!get(payload, at, version) ||
      (version != core_snapshot_format::version && version != core_snapshot_format::version_without_key_id)) {
    return bad("core state version unknown");
  }
  if (!get(payload, at, loaded) || !get(payload, at, added)) return bad("core state header truncated");
  if (version == core_snapshot_format::version && !get(payload, at, pan_key_id)) {
    return bad("core state header truncated");
  }
  if (loaded != core.accounts().card_pans.size()) {
    return bad("the accounts file has " + std::to_string(core.accounts().card_pans.size()) +
               " cards, the snapshot was taken over " + std::to_string(loaded));
  }
  for (std::uint32_t i = 0; i < added; ++i) {
    std::uint16_t length = 0;
    if (!get(payload, at, length) || at + length > payload.size()) return bad("added card truncated");
    core::Event e;
    const CodecResult res = decode_event(event_format::type_card_added, payload.subspan(at, length), cipher, e);
    if (!res.ok()) return bad(std::string("added card: ") + res.error);
    const auto& card = std::get<core::CardAddedEvent>(e);
    if (card.card != core.accounts().card_pans.size() || card.user >= core.accounts().users.size() ||
        core.find_card(std::string_view(card.id.data(), card.id_length)) != core::no_index ||
        core.find_card_by_pan(card.pan) != nullptr) {
      return bad("added card " + std::to_string(card.card) + " does not follow the cards before it");
    }
    core.apply(e);
    at += length;
  }
  std::uint64_t state_bytes = 0;
  if (!get(payload, at, state_bytes) || state_bytes != payload.size() - at) return bad("core state length wrong");
  std::string error;
  if (!core.load_state(payload.subspan(at), &error)) return bad(error);
  if (keyed_pan_other_key != nullptr && pan_key_id != 0 &&
      pan_key_id != core::pan_hash_key_id(core.config().pan_hash_key)) {
    // Rare (the PAN key changed): one walk of the table to say how many.
    const core::TxnTable& t = core.transactions();
    for (std::size_t i = 0; i < t.capacity(); ++i) {
      const core::TxnEntry& e = t.entries()[i];
      if (e.key_hi != 0 && core::is_keyed(core::Pan{e.pan, e.pan_digits})) ++*keyed_pan_other_key;
    }
  }
  return Status{};
}

}  // namespace authswitch::ledger
