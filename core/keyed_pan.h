// A keyed hash of a PAN, for rule 2 on requests whose card is unknown.
//
// Replay gets a request's full PAN back only from the card it belongs to (the
// log keeps PANs masked, SPEC 7). A request on an unknown card has none, so
// its transaction entry, its decision record and the snapshot keep, instead
// of the PAN, SipHash-2-4 of it under a secret key (the switch derives it
// from its PAN key, ledger/pan_cipher.h). A retransmission is compared by
// hashing its PAN under the same key: the same answer live and after a
// restart. Unkeyed, the hash of a 16-digit PAN would be brute-forced in
// hours; keyed, it says nothing without the key.
//
// The hashed form is a Pan whose digit count carries `pan_keyed_flag` and
// whose value is the hash (a real PAN has at most 19 digits: the flag is
// never set on one). Known cards never pay for it: only an entry holding a
// hashed PAN makes the comparison hash.
//
// After the key changes (PAN key rotated or lost), the hashes kept before do
// not match any more: a retransmission of such a request is answered 94
// instead of its stored answer. Nothing is applied either way.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/pan.h"
#include "core/txn_table.h"

namespace authswitch::core {

struct PanHashKey {
  std::uint64_t k0 = 0;  // key bytes 0..7, little-endian
  std::uint64_t k1 = 0;  // key bytes 8..15
  friend bool operator==(const PanHashKey&, const PanHashKey&) = default;
};

inline constexpr std::uint8_t pan_keyed_flag = 0x80;

[[nodiscard]] constexpr bool is_keyed(Pan p) noexcept { return (p.digits & pan_keyed_flag) != 0; }
// The digit count of a PAN, plain or hashed.
[[nodiscard]] constexpr std::uint8_t pan_digit_count(Pan p) noexcept {
  return static_cast<std::uint8_t>(p.digits & ~pan_keyed_flag);
}

// SipHash-2-4 (Aumasson and Bernstein, 2012) of `n` bytes.
[[nodiscard]] std::uint64_t siphash24(const PanHashKey& key, const void* data, std::size_t n) noexcept;

// The hashed form of a plain PAN: the hash of its value (8 bytes,
// little-endian) and digit count (leading zeros count).
[[nodiscard]] Pan keyed_pan(Pan plain, const PanHashKey& key) noexcept;

// A short name of the key (not a secret: a hash of a constant under it),
// written beside hashed PANs so that recovery can tell a key change.
[[nodiscard]] std::uint32_t pan_hash_key_id(const PanHashKey& key) noexcept;

// Whether `incoming` (plain) is the PAN `stored` (plain or hashed) keeps.
[[nodiscard]] inline bool same_pan(Pan stored, Pan incoming, const PanHashKey& key) noexcept {
  return is_keyed(stored) ? keyed_pan(incoming, key) == stored : stored == incoming;
}

// Rule 2's "same fields 2, 3, 4, 49": `stored` from an entry (its PAN maybe
// hashed), `incoming` from the request (plain).
[[nodiscard]] inline bool same_content(const TxnContent& stored, const TxnContent& incoming,
                                       const PanHashKey& key) noexcept {
  if (!is_keyed(stored.pan)) return stored == incoming;
  TxnContent hashed = incoming;
  hashed.pan = keyed_pan(incoming.pan, key);
  return stored == hashed;
}

}  // namespace authswitch::core
