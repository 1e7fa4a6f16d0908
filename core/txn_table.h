// The global duplicate-key / transaction table (SPEC 2, 3 rules 2 and 3),
// with bounded retention: old entries are reused in place.
//
// Global because the same key (fields 32, 11, 7, MTI class) may come with a
// different card, routed to another shard, and must still be answered 94.
// Preallocated (committed at start-up: no page fault on the hot path).
//
// Two arrays:
//   buckets: one cache line each, a control word and 7 tags. A tag is 0
//            (never used), `busy_tag` (a slot being written), or
//            fingerprint(32 bits) << 32 | the minute of the entry's time.
//   bodies:  192-byte TxnEntry, body b*7+j belongs to bucket b, slot j.
// A key lives in its home bucket or in a second, independent one (`other`; a
// probe window of 14 slots, two lines, scanned whole: nothing is ever "deleted", a slot is only
// reused, so no tombstones). A lookup reads the two tag lines, then the body
// line 0 of a fingerprint match (1 in 2^31 false matches).
//
// Retention (find_or_claim's `now` is the transaction time, never a clock
// read): when the window has no never-used slot, a slot may be reused if its
// entry is
//   - final with no open hold (declines, refunds, inquiries, postings, holds
//     fully reversed or expired, reversals, remembered reversals whose
//     original came) and older than the duplicate window, or
//   - final with an open hold, or remembered (a reversal whose original never
//     came), older than hold_days plus a day's grace (constants.h; the hold
//     is NOT released here: the entry is forgotten; releasing holds is hold
//     expiry's and clearing's job, SPEC 8).
// Pending, taking and pinned entries are never reused. With no reusable slot
// the claim answers `full` with the reason (the core counts them; 91).
//
// Concurrency argument.
//   No key is ever claimed twice: every claim of key K serialises on the
//   control word of K's home bucket: a claimer reads the control word c (even,
//   i.e. no claim under way), scans the 14 tags, and only then CASes c -> c|1;
//   it publishes K's tag (release) before it stores c+2. Any other claim of K
//   either read the control word after c+2 (acquire: it then sees K's tag in
//   its scan and finds K) or read c or earlier, and then its CAS fails (the
//   word is no longer what it read) and it rescans. A slot in b+1 may also be
//   wanted by a key whose home is b+1: slot ownership is a second CAS, on the
//   tag itself (0 -> busy) for a never-used slot, or on the body's state
//   (final/remembered -> reusing) for a reused one; losing it rescans.
//   Eviction removes a key without a claim: a later claim of that key then
//   claims a new slot, which is the intended behaviour past the windows.
//
//   A reader never returns a half-reused entry: a reuser first CASes the
//   body's state to `reusing` (before any other store), then rewrites the key
//   and content, then publishes the state and the tag. Every reader of an
//   entry it found (read_answer, pin) checks, after reading, that the state
//   and the key are still what they were before it read (acquire loads
//   throughout: a store the reader saw is ordered after the `reusing` CAS, so
//   it would see the key or state change). Writers that change a found final
//   entry in place (a reversal, hold expiry) first pin it (CAS final ->
//   pinned, then check the key), so it cannot be reused under them; they
//   unpin with a release store of final.
//
// Entry layout, 192 bytes (three cache lines): line 0 holds the key, the
// content (duplicate check), the answer code and what eviction looks at.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/atomic_word.h"
#include "core/constants.h"
#include "core/pan.h"
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
  pinned = 5,      // final, being changed in place by its owner shard (reversal, expiry); not reusable
  reusing = 6,     // being reused for another key: its old key is gone
};

// What an approval moved, for reversals and expiry to undo.
enum class EffectKind : std::uint8_t { none = 0, hold = 1, posted = 2 };

struct alignas(constants::cache_line_bytes) TxnEntry {
  // Line 0: key, state, content, answer code, what eviction reads.
  std::uint64_t key_hi = 0;
  std::uint64_t key_lo = 0;
  std::uint32_t state = 0;  // TxnState, acquire/release
  std::uint16_t currency = 0;
  std::uint8_t pan_digits = 0;
  std::uint8_t amount_numeric = 0;
  std::uint64_t pan = 0;
  std::int64_t amount = 0;
  std::int64_t remaining = 0;  // atomic (atomic_word.h): not yet released
  TimeMs txn_time = 0;
  std::uint32_t processing_code = 0;
  std::uint8_t rc = 0;           // ResponseCode
  std::uint8_t reason = 0;       // encode_reason
  std::uint8_t effect_kind = 0;  // EffectKind
  std::uint8_t reversed = 0;     // atomic (atomic_word.h): a reversal has been applied
  // Line 1: the rest of the answer; the effect, owned by the shard of `card`'s user.
  std::uint32_t card = 0;  // dense card index, when known
  std::uint32_t user = 0;
  std::uint8_t mti_class = 0;
  std::uint8_t has_approval = 0;
  std::uint8_t slot_count = 0;
  std::uint8_t has_available = 0;  // a balance inquiry's field 54
  std::array<char, 6> approval{};
  std::uint16_t available_hi = 0;  // available balance, 48 bits (field 54 holds 12 digits)
  std::uint32_t available_lo = 0;
  std::int64_t effect_amount = 0;  // what the approval moved
  std::array<std::uint32_t, constants::slots_per_decision_max> slots{};
  // Line 2.
  std::array<TimeMs, constants::slots_per_decision_max> period_starts{};

  [[nodiscard]] TxnContent content() const noexcept {
    return TxnContent{Pan{pan, pan_digits}, processing_code, amount, currency, amount_numeric != 0};
  }
  [[nodiscard]] std::int64_t available() const noexcept {
    const std::uint64_t v = static_cast<std::uint64_t>(available_hi) << 32 | available_lo;
    return static_cast<std::int64_t>(v << 16) >> 16;  // sign-extend 48 bits
  }
  void set_available(std::int64_t v) noexcept {
    const auto u = static_cast<std::uint64_t>(v);
    available_hi = static_cast<std::uint16_t>(u >> 32);
    available_lo = static_cast<std::uint32_t>(u);
  }
};
static_assert(sizeof(TxnEntry) == 3 * constants::cache_line_bytes);
static_assert(offsetof(TxnEntry, card) == constants::cache_line_bytes);
static_assert(offsetof(TxnEntry, period_starts) == 2 * constants::cache_line_bytes);

// A stored answer as read_answer copies it (consistent: never half-reused).
struct TxnAnswer {
  TxnState state = TxnState::pending;
  TxnContent content;
  std::uint8_t rc = 0;
  std::uint8_t reason = 0;
  std::uint8_t has_approval = 0;
  std::uint8_t has_available = 0;
  std::array<char, 6> approval{};
  std::uint32_t card = 0;
  std::int64_t available = 0;
};

// How long entries are kept (see the header comment).
struct TxnRetention {
  TimeMs duplicate_window_ms = constants::txn_duplicate_window_ms;
  TimeMs hold_ms = constants::hold_days_default * ms_per_day + constants::txn_hold_grace_ms;
};

class TxnTable {
 public:
  // `capacity`: a power of two (>= 8); the table holds capacity / 8 buckets of
  // 7 entries (capacity() says how many).
  explicit TxnTable(std::size_t capacity, TxnRetention retention = {});
  ~TxnTable();
  TxnTable(const TxnTable&) = delete;
  TxnTable& operator=(const TxnTable&) = delete;

  enum class Outcome : std::uint8_t { claimed, found, full };
  // Why a claim found no slot: every slot of the key's window holds an entry
  // inside the duplicate window (or being decided), or some hold an open hold
  // (or a remembered reversal) younger than hold_days.
  enum class FullReason : std::uint8_t { none = 0, window = 1, holds = 2 };
  struct Result {
    Outcome outcome;
    TxnEntry* entry;  // null when full
    bool reused = false;
    FullReason why = FullReason::none;
  };

  // Finds `key`, or claims a slot for it with `content` and `state` (pending
  // for a request, remembered for a reversal's unknown original) at time
  // `now`. A found entry may be in any state, including `reusing` (the key is
  // being evicted: treat as absent and call again).
  // `bodies_fetched`: prefetch_body has already been issued for this key, so
  // the claim does not ask for its two candidate bodies while it reads the
  // tags (a hint: it changes which lines are fetched early, nothing else).
  [[nodiscard]] Result find_or_claim(const TxnKey& key, const TxnContent& content, TxnState state, TimeMs now,
                                     bool bodies_fetched = false) noexcept;
  // Finds `key`; null when absent. The entry may be reused under the caller:
  // read it through read_answer, or pin it before reading its effect.
  [[nodiscard]] TxnEntry* find(const TxnKey& key) noexcept;
  // A consistent copy of `e`'s answer while it holds `key`; false when it no
  // longer does (reused).
  [[nodiscard]] static bool read_answer(const TxnEntry& e, const TxnKey& key, TxnAnswer* out) noexcept;
  // CAS the state `from` -> `to` while `e` holds `key`: false if the state
  // was not `from` (then *seen says what it was) or the entry is another
  // key's. Used to pin (final -> pinned) and to take a remembered entry.
  [[nodiscard]] static bool transition(TxnEntry& e, const TxnKey& key, TxnState from, TxnState to,
                                       TxnState* seen = nullptr) noexcept;
  static void unpin(TxnEntry& e) noexcept { store_release(e.state, static_cast<std::uint32_t>(TxnState::final)); }

  // Prefetch stage 1: the key's two tag lines, home and other (with intent to
  // write: the claim's CASes need them exclusive).
  void prefetch(const TxnKey& key) const noexcept {
    const std::uint64_t h = hash(key);
    prefetch_write(&buckets_[home(h)]);
    prefetch_write(&buckets_[other(h)]);
  }
  // Prefetch stage 2 (after stage 1 has landed): the body the key is in, or
  // the slot a claim will most likely take: all three lines, as a decision
  // writes all three (line 0 at the claim, lines 1 and 2 with the answer).
  void prefetch_body(const TxnKey& key) const noexcept;

  [[nodiscard]] std::size_t capacity() const noexcept { return (bucket_mask_ + 1) * slots_per_bucket; }
  [[nodiscard]] const TxnRetention& retention() const noexcept { return retention_; }
  // Entries holding a key (a scan: reports and tests).
  [[nodiscard]] std::size_t used() const noexcept;
  // For state dumps and scans (quiescent callers, or tolerant of races).
  [[nodiscard]] TxnEntry* entries() noexcept { return entries_; }
  [[nodiscard]] const TxnEntry* entries() const noexcept { return entries_; }
  // After bodies were written through entries() (a snapshot load, quiescent):
  // rebuilds the tags from the bodies' keys and times.
  void rebuild_index() noexcept;

  static constexpr std::size_t slots_per_bucket = 7;

 private:
  struct alignas(constants::cache_line_bytes) Bucket {
    std::uint64_t control = 0;  // even: no claim under way; bit 0: a claim for a key of this home
    std::array<std::uint64_t, slots_per_bucket> tags{};
  };
  static_assert(sizeof(Bucket) == constants::cache_line_bytes);
  static constexpr std::uint64_t busy_tag = 1;  // fingerprint 0: never a real tag

  [[nodiscard]] static std::uint64_t hash(const TxnKey& k) noexcept {
    std::uint64_t h = (k.hi * 0x9E3779B97F4A7C15ull) ^ (k.lo * 0xC2B2AE3D27D4EB4Full);
    h ^= h >> 31;
    h *= 0xD6E8FEB86659FD93ull;
    return h ^ (h >> 29);
  }
  [[nodiscard]] std::size_t home(std::uint64_t h) const noexcept { return static_cast<std::size_t>(h) & bucket_mask_; }
  // The second choice: an independent bucket, never the home one.
  [[nodiscard]] std::size_t other(std::uint64_t h) const noexcept {
    std::uint64_t g = (h ^ 0x5851F42D4C957F2Dull) * 0x9E3779B97F4A7C15ull;
    g ^= g >> 33;
    const std::size_t b = static_cast<std::size_t>(g) & bucket_mask_;
    return b != home(h) ? b : (home(h) ^ 1u) & bucket_mask_;
  }
  [[nodiscard]] static std::uint64_t fingerprint(std::uint64_t h) noexcept { return (h >> 32) | 1u; }
  // One bucket's tags at a glance: bit 2j of `match` when tag j's fingerprint
  // is `fp`, of `empty` when tag j is 0 (never used). A hint: a match is
  // confirmed on the body's key, an empty slot taken by a CAS from 0.
  struct TagMasks {
    unsigned match = 0;
    unsigned empty = 0;
  };
  [[nodiscard]] static TagMasks scan_tags(const Bucket& bk, std::uint64_t fp) noexcept;
  // The prefetch stage's cheaper look (a hint, never acted on): bit j when
  // tag j's fingerprint is `fp` (match) or 0 (free: never used, or busy).
  [[nodiscard]] static TagMasks scan_fingerprints(const Bucket& bk, std::uint64_t fp) noexcept;
  [[nodiscard]] static std::uint64_t make_tag(std::uint64_t fp, TimeMs t) noexcept;
  [[nodiscard]] static TimeMs tag_time_end(std::uint64_t tag) noexcept;
  // Whether the entry behind `tag` may be reused at `now`; sets *holds when it
  // is only kept for an open hold or a remembered reversal.
  [[nodiscard]] bool reusable(const TxnEntry& e, std::uint32_t state, std::uint64_t tag, TimeMs now,
                              bool* holds) const noexcept;
  [[nodiscard]] TxnEntry& body(std::size_t bucket, std::size_t slot) const noexcept {
    return entries_[bucket * slots_per_bucket + slot];
  }

  Bucket* buckets_ = nullptr;
  TxnEntry* entries_ = nullptr;
  std::size_t bucket_mask_ = 0;
  std::size_t mapped_bytes_ = 0;
  void* mapping_ = nullptr;
  TxnRetention retention_;
};

}  // namespace authswitch::core
