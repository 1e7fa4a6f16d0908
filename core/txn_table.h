// The global duplicate-key / transaction table (SPEC 2, 3 rules 2 and 3).
//
// Global because the same key (fields 32, 11, 7, MTI class) may come with a
// different card, routed to another shard, and must still be answered 94.
// Preallocated, open addressing with linear probing, no locks:
//
//   claim:   CAS key_hi 0 -> key_hi|claim_bit; write key_lo and the content
//            (fields 2, 3, 4, 49); store key_hi (release). Readers never see
//            a key without its content.
//   answer:  the claimer (a shard thread) writes the answer and the effect,
//            then stores state = final (release).
//
// All its memory is committed when it is built (no page fault on the hot
// path). A prober meeting a slot mid-claim waits for those few stores (the only
// wait there is; it spans no decision). A full table (or a probe run past
// txn_probe_max) answers 91: a live entry is never overwritten.
//
// Entry layout, 192 bytes (three cache lines): key and content first, so a
// duplicate check reads one line.
#pragma once

#include <array>
#include <cstdint>

#include "core/constants.h"
#include "core/pan.h"
#include "core/atomic_word.h"
#include "core/prefetch.h"
#include "core/time_ms.h"

namespace authswitch::core {

struct TxnKey {
  std::uint64_t hi = 0;  // MTI class << 40 | acquirer id (<= 11 digits < 2^37)
  std::uint64_t lo = 0;  // field 7 (MMDDhhmmss < 2^31) << 20 | STAN (< 2^20)
  friend bool operator==(const TxnKey&, const TxnKey&) = default;
};

[[nodiscard]] constexpr TxnKey make_txn_key(std::uint8_t mti_class, std::uint64_t acquirer, std::uint32_t field7,
                                            std::uint32_t stan) noexcept {
  return TxnKey{static_cast<std::uint64_t>(mti_class) << 40 | acquirer,
                static_cast<std::uint64_t>(field7) << 20 | stan};
}

// Fields 2, 3, 4, 49: "same content" for rule 2.
struct TxnContent {
  Pan pan;
  std::uint32_t processing_code = 0;
  std::int64_t amount = 0;
  std::uint16_t currency = 0;
  bool amount_numeric = true;
  friend bool operator==(const TxnContent&, const TxnContent&) = default;
};

enum class TxnState : std::uint32_t {
  pending = 1,     // claimed; content valid; the answer is being decided
  final = 2,       // answer (and effect) valid
  remembered = 3,  // a reversal came first; no content: its original is declined 05
  taking = 4,      // a remembered entry being turned final by its original
};

// What an approval moved, for reversals and expiry to undo.
enum class EffectKind : std::uint8_t { none = 0, hold = 1, posted = 2 };

struct alignas(constants::cache_line_bytes) TxnEntry {
  // Line 0: key, state, content.
  std::uint64_t key_hi = 0;
  std::uint64_t key_lo = 0;
  std::uint32_t state = 0;  // TxnState, acquire/release
  std::uint32_t card = 0;   // dense card index, when known
  std::uint64_t pan = 0;
  std::uint8_t pan_digits = 0;
  std::uint8_t amount_numeric = 0;
  std::uint16_t currency = 0;
  std::uint32_t processing_code = 0;
  std::int64_t amount = 0;
  // Answer.
  std::uint8_t rc = 0;        // ResponseCode
  std::uint8_t reason = 0;    // encode_reason
  std::uint8_t mti_class = 0;
  std::uint8_t has_approval = 0;
  std::array<char, 6> approval{};
  std::uint8_t effect_kind = 0;  // EffectKind
  std::uint8_t reversed = 0;     // atomic (atomic_word.h): a reversal has been applied
  // Effect: owned by the shard of `card`'s user.
  std::uint8_t slot_count = 0;
  std::uint32_t user = 0;
  TimeMs txn_time = 0;
  std::int64_t effect_amount = 0;  // what the approval moved
  std::int64_t remaining = 0;      // atomic (atomic_word.h): not yet released
  std::array<std::uint32_t, constants::slots_per_decision_max> slots{};
  std::array<TimeMs, constants::slots_per_decision_max> period_starts{};

  [[nodiscard]] TxnContent content() const noexcept {
    return TxnContent{Pan{pan, pan_digits}, processing_code, amount, currency, amount_numeric != 0};
  }
};
static_assert(sizeof(TxnEntry) == 3 * constants::cache_line_bytes);

class TxnTable {
 public:
  explicit TxnTable(std::size_t capacity);  // a power of two
  ~TxnTable();
  TxnTable(const TxnTable&) = delete;
  TxnTable& operator=(const TxnTable&) = delete;

  enum class Outcome { claimed, found, full };
  struct Result {
    Outcome outcome;
    TxnEntry* entry;  // null when full
  };

  // Finds `key`, or claims a free slot for it with `content` and `state`
  // (pending for a request, remembered for a reversal's unknown original).
  [[nodiscard]] Result find_or_claim(const TxnKey& key, const TxnContent& content, TxnState state) noexcept;
  // Finds `key`; null when absent.
  [[nodiscard]] TxnEntry* find(const TxnKey& key) noexcept;
  // With intent to write: the claim's CAS needs the line exclusive.
  void prefetch(const TxnKey& key) const noexcept { prefetch_write(&entries_[home(key)]); }

  [[nodiscard]] std::size_t capacity() const noexcept { return mask_ + 1; }
  // For state dumps and scans (quiescent callers, or tolerant of races).
  [[nodiscard]] TxnEntry* entries() noexcept { return entries_; }
  [[nodiscard]] const TxnEntry* entries() const noexcept { return entries_; }

 private:
  static constexpr std::uint64_t claim_bit = 1ull << 63;
  [[nodiscard]] std::size_t home(const TxnKey& k) const noexcept {
    std::uint64_t h = (k.hi * 0x9E3779B97F4A7C15ull) ^ (k.lo * 0xC2B2AE3D27D4EB4Full);
    h ^= h >> 31;
    return static_cast<std::size_t>(h) & mask_;
  }
  // Waits out a claim under way in `e` and returns the published key_hi.
  [[nodiscard]] static std::uint64_t settled_hi(const TxnEntry& e) noexcept;

  TxnEntry* entries_ = nullptr;
  std::size_t mask_ = 0;
};

}  // namespace authswitch::core
