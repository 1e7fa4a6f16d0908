// The core's events (core/events.h) as write-ahead log records (SPEC 7).
//
// One record type per event, in 0x0101..0x0107 (the io layer's own records
// live in 0x02xx, the ledger's at 0x8000 and up). Every payload starts with a
// version byte; fields follow packed, little-endian, in the order drawn below.
// Sizes in bytes; "n x" marks a repeated group whose count precedes it.
//
//   common groups
//     key      16  u64 hi, u64 lo (core::TxnKey)
//     pan       7  u8 digits (0 or 12..19), u32 first 6 digits, u16 last 4:
//                  the masked PAN (SPEC 7); the middle digits are never kept
//     content  22  pan(7), u32 processing code, i64 amount, u16 currency,
//                  u8 amount numeric (0/1)
//     effect   21 + n x 18   u32 user, i64 hold delta, i64 balance delta,
//                  u8 n (<= 8), n x {u8 owner, u8 position (< 4),
//                  i64 period start, i64 amount}
//
//   0x0101 decision       1 version, key, u8 mti class, content, u32 card,
//                         i64 txn time, u8 rc, u8 reason, u8 flags
//                         (1 has approval, 2 stored, 4 duplicate,
//                         8 took remembered, 16 available balance,
//                         32 keyed PAN), 6 approval, u8 effect kind,
//                         i64 effect amount, [flag 32: u64 keyed hash of the
//                         PAN, u32 hash key id], [flag 16: i64 available],
//                         effect
//   0x0102 reversal       1 version, key, u8 mti class, content, u32 card
//                         (of the PAN, resolved when encoded; no_index when
//                         unknown), i64 txn time, original key, u8 rc,
//                         u8 reason, u8 flags (1 stored, 2 duplicate,
//                         4 original found, 8 remembered, 16 keyed PAN),
//                         i64 released, [flag 16: u64 keyed hash of the PAN,
//                         u32 hash key id], effect
//   0x0103 hold expired   1 version, original key, i64 at, i64 released, effect
//   0x0104 limits set     1 version, u8 owner, u32 index, u8 n (<= 5),
//                         n x {u8 period kind, u8 weekday, u8 day,
//                         u16 reset minutes, i64 max}
//   0x0105 card status    1 version, u32 card, u8 status
//   0x0106 card added     1 version, u32 card, u32 user, u16 expiry YYMM,
//                         u8 status, u16 currency, 48 encrypted PAN
//                         (pan_cipher.h), u8 id length (1..64), id bytes
//   0x0107 balance        1 version, u32 user, i64 amount, i64 balance after,
//                         u64 body hash, u8 key length (<= 64), key bytes
//
// The PAN of a decision or reversal is stored masked only. Replay needs the
// full PAN for rule 2's content comparison; restore_pan() takes it back from
// the card (`card` index -> the accounts' PAN) when the masked forms agree.
// A request or reversal on an unknown card (a 14, an advice's 00, a
// reversal's 25 or 00) has no card to
// restore from: the core hashes its PAN under a key (core/keyed_pan.h) and the
// record keeps that hash (decision flag 32, reversal flag 16) with the PAN's digit count (first six and
// last four zero: nothing of the PAN itself), and the id of the hash key, so
// that recovery can count hashes made under another key (a rotated PAN key:
// their retransmissions are answered 94). A record without flag 32 is
// written by earlier builds (or is on a known card) and replays as before.
// So does a reversal record without flag 16.
//
// Encoding allocates nothing: the caller gives a buffer of
// event_payload_bytes_max (on its stack). Only a card added encrypts, which
// allocates an OpenSSL context (control thread, not the hot path).
// Decoding trusts nothing: every length, count, enum and flag is checked and
// an error names the record kind, the field and what is wrong.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/accounts.h"
#include "core/constants.h"
#include "core/events.h"
#include "ledger/pan_cipher.h"
#include "ledger/record_format.h"

namespace authswitch::core {
class Core;
}

namespace authswitch::ledger {

namespace event_format {
inline constexpr std::uint8_t version = 1;

inline constexpr std::uint16_t type_decision = 0x0101;
inline constexpr std::uint16_t type_reversal = 0x0102;
inline constexpr std::uint16_t type_hold_expired = 0x0103;
inline constexpr std::uint16_t type_limits_set = 0x0104;
inline constexpr std::uint16_t type_card_status = 0x0105;
inline constexpr std::uint16_t type_card_added = 0x0106;
inline constexpr std::uint16_t type_balance_adjusted = 0x0107;
inline constexpr std::uint16_t type_first = type_decision;
inline constexpr std::uint16_t type_last = type_balance_adjusted;

inline constexpr std::size_t key_bytes = 16;
inline constexpr std::size_t pan_bytes = 1 + 4 + 2;
inline constexpr std::size_t content_bytes = pan_bytes + 4 + 8 + 2 + 1;
inline constexpr std::size_t slot_delta_bytes = 1 + 1 + 8 + 8;
inline constexpr std::size_t effect_fixed_bytes = 4 + 8 + 8 + 1;
inline constexpr std::size_t effect_bytes_max =
    effect_fixed_bytes + constants::slots_per_decision_max * slot_delta_bytes;
inline constexpr std::size_t limit_bytes = 1 + 1 + 1 + 2 + 8;

inline constexpr std::size_t decision_fixed_bytes =
    1 + key_bytes + 1 + content_bytes + 4 + 8 + 1 + 1 + 1 + 6 + 1 + 8 + effect_fixed_bytes;
inline constexpr std::size_t keyed_pan_bytes = 8 + 4;  // decision flag 32, reversal flag 16
inline constexpr std::size_t decision_bytes_max = decision_fixed_bytes + keyed_pan_bytes + 8 +
                                                  constants::slots_per_decision_max * slot_delta_bytes;
inline constexpr std::size_t reversal_fixed_bytes =
    1 + key_bytes + 1 + content_bytes + 4 + 8 + key_bytes + 1 + 1 + 1 + 8 + effect_fixed_bytes;
inline constexpr std::size_t hold_expired_fixed_bytes = 1 + key_bytes + 8 + 8 + effect_fixed_bytes;
inline constexpr std::size_t limits_set_fixed_bytes = 1 + 1 + 4 + 1;
inline constexpr std::size_t card_status_bytes = 1 + 4 + 1;
inline constexpr std::size_t card_added_fixed_bytes = 1 + 4 + 4 + 2 + 1 + 2 + encrypted_pan_bytes + 1;
inline constexpr std::size_t balance_fixed_bytes = 1 + 4 + 8 + 8 + 8 + 1;

static_assert(content_bytes == 22);
static_assert(effect_fixed_bytes == 21 && slot_delta_bytes == 18);
static_assert(decision_fixed_bytes == 91);
static_assert(reversal_fixed_bytes == 100);
static_assert(card_added_fixed_bytes == 63);

// The largest payload any event encodes to: a decision with every optional
// part and every delta, or a reversal with every delta.
inline constexpr std::size_t payload_bytes_max =
    std::max(decision_bytes_max,
             reversal_fixed_bytes + keyed_pan_bytes + constants::slots_per_decision_max * slot_delta_bytes);
static_assert(payload_bytes_max >= card_added_fixed_bytes + constants::account_id_bytes_max);
static_assert(payload_bytes_max >= balance_fixed_bytes + constants::account_id_bytes_max);
static_assert(payload_bytes_max >= limits_set_fixed_bytes + constants::limits_per_owner_max * limit_bytes);
static_assert(payload_bytes_max <= format::payload_bytes_max, "an event must fit one WAL record");
static_assert(type_last < format::ledger_type_first);
}  // namespace event_format

[[nodiscard]] constexpr bool is_core_event_type(std::uint16_t type) noexcept {
  return type >= event_format::type_first && type <= event_format::type_last;
}

// A decode or encode failure: static text, nothing allocated. ok() when
// `error` is null.
struct CodecResult {
  const char* error = nullptr;
  [[nodiscard]] bool ok() const noexcept { return error == nullptr; }
};

struct EncodedEvent {
  std::uint16_t type = 0;
  std::size_t bytes = 0;
};

// Encodes `event` into `out` (at least event_format::payload_bytes_max).
// `reversal_card`: for a ReversalEvent, the card index of its PAN (the sink
// looks it up), so that replay can restore the PAN; ignored otherwise.
// `cipher` is needed for a CardAddedEvent only (else an error).
// `pan_key_id`: core::pan_hash_key_id of the key the core hashes unknown
// cards' PANs with, written beside such a hash (0: not known).
[[nodiscard]] CodecResult encode_event(const core::Event& event, std::uint32_t reversal_card, const PanCipher* cipher,
                                       std::span<std::byte> out, EncodedEvent& encoded,
                                       std::uint32_t pan_key_id = 0);

// Decodes one record of a core event type. `cipher` is needed for a card
// added only. The PAN of a decision or reversal comes back masked (middle
// digits zero); `card_out` (when given) receives the card index stored with a
// decision or reversal (no_index otherwise), for restore_pan(). A decision or
// reversal with a keyed PAN comes back with it hashed (core/keyed_pan.h) and
// `pan_key_id_out` (when given) receives the id of its key (0 otherwise).
[[nodiscard]] CodecResult decode_event(std::uint16_t type, std::span<const std::byte> payload,
                                       const PanCipher* cipher, core::Event& out,
                                       std::uint32_t* card_out = nullptr, std::uint32_t* pan_key_id_out = nullptr);

// The PAN with its middle digits zeroed: what the log keeps.
[[nodiscard]] core::Pan masked_pan_value(core::Pan pan) noexcept;

// Puts the full PAN back into a decoded decision or reversal from the
// accounts, when `card` is a known card whose PAN masks the same. Returns
// whether it did.
bool restore_pan(core::Event& event, std::uint32_t card, const core::Accounts& accounts) noexcept;

}  // namespace authswitch::ledger
