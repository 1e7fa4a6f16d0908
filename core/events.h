// Events: every state change of the core, as the write-ahead log records it
// (ledger/ serialises them) and as replay applies it (Core::apply).
//
// Replay never re-decides: an event carries what was decided and what it
// moved (each limit total with the period start it counted in, the hold and
// balance changes), and applying it rebuilds the same state, sliding limit
// windows deterministically from the recorded transaction time. The live path
// applies its own events through the same code, so the two cannot drift.
//
// Plain fixed-size structs: no allocation when the hot path builds one, no
// full PAN in any of them except CardAddedEvent (the log encrypts it, SPEC 7).
#pragma once

#include <array>
#include <cstdint>
#include <variant>

#include "core/card_index.h"
#include "core/constants.h"
#include "core/limit_list.h"
#include "core/request.h"
#include "core/response_code.h"
#include "core/time_ms.h"
#include "core/txn_table.h"

namespace authswitch::core {

// One limit total moved: the owner's limit at `position` in its list of
// period limits at that time, in the period starting at `period_start`.
struct SlotDelta {
  LimitOwner owner = LimitOwner::user;
  std::uint8_t position = 0;
  TimeMs period_start = 0;
  std::int64_t amount = 0;
  friend bool operator==(const SlotDelta&, const SlotDelta&) = default;
};

// Everything an approval, reversal or expiry moves, applied at once inside the
// seqlocks of the user and its company.
struct Effect {
  std::uint32_t user = 0xffffffffu;
  std::int64_t hold_delta = 0;
  std::int64_t balance_delta = 0;
  std::uint8_t delta_count = 0;
  std::array<SlotDelta, constants::slots_per_decision_max> deltas{};
  [[nodiscard]] bool empty() const noexcept { return hold_delta == 0 && balance_delta == 0 && delta_count == 0; }
};

// An answer to an 0100, 0200 or 0120 (approval, decline, advice, refund,
// balance inquiry, duplicate).
struct DecisionEvent {
  TxnKey key;
  MtiClass mti_class = MtiClass::authorization;
  TxnContent content;  // PAN inside: the log masks or drops it
  std::uint32_t card = 0xffffffffu;
  TimeMs txn_time = 0;
  ResponseCode rc = ResponseCode::system_error;
  Reason reason;
  bool has_approval = false;
  std::array<char, 6> approval{};
  bool stored = false;           // the answer is stored under `key` (final answers only)
  bool duplicate = false;        // answered from the stored record (94 or a repeat); applied nothing
  bool took_remembered = false;  // rule 3: the original of an earlier reversal
  bool has_available = false;    // a balance inquiry answered with field 54: stored with the answer
  std::int64_t available = 0;
  EffectKind effect_kind = EffectKind::none;
  std::int64_t effect_amount = 0;
  Effect effect;
};

// An answer to an 0400 or 0420.
struct ReversalEvent {
  TxnKey key;                  // the reversal's own key
  MtiClass mti_class = MtiClass::reversal;
  TxnContent content;
  TimeMs txn_time = 0;
  TxnKey original_key;
  ResponseCode rc = ResponseCode::system_error;
  Reason reason;
  bool stored = false;
  bool duplicate = false;
  bool original_found = false;   // the original's hold/posting was reversed (maybe by 0)
  bool remembered = false;       // unknown original: remembered under original_key
  std::int64_t released = 0;     // amount released from the original
  Effect effect;
};

// A hold not cleared within hold_days is released (SPEC 8).
struct HoldExpiredEvent {
  TxnKey original_key;
  TimeMs at = 0;
  std::int64_t released = 0;
  Effect effect;
};

struct LimitsSetEvent {
  LimitOwner owner = LimitOwner::user;
  std::uint32_t index = 0;  // user or company
  LimitList limits;
};

struct CardStatusEvent {
  std::uint32_t card = 0;
  CardStatus status = CardStatus::active;
};

struct CardAddedEvent {
  std::uint32_t card = 0;  // the dense index it got
  std::array<char, constants::account_id_bytes_max> id{};
  std::uint8_t id_length = 0;
  Pan pan;  // full PAN: the log must store it encrypted (SPEC 7)
  std::uint32_t user = 0;
  std::uint16_t expiry_yymm = 0;
  CardStatus status = CardStatus::active;
  std::uint16_t currency = 0;
};

struct BalanceAdjustedEvent {
  std::uint32_t user = 0;
  std::int64_t amount = 0;
  std::int64_t balance_after = 0;
  std::array<char, constants::account_id_bytes_max> idempotency_key{};
  std::uint8_t idempotency_key_length = 0;
  std::uint64_t body_hash = 0;
};

using Event = std::variant<DecisionEvent, ReversalEvent, HoldExpiredEvent, LimitsSetEvent, CardStatusEvent,
                           CardAddedEvent, BalanceAdjustedEvent>;

// Where the core reports what it did. Called on the thread that made the
// change, once per change, after the change is applied; the reference is
// valid for the call only. Implementations must not block for long: the
// authorization thread waits (e.g. copy into a ring; the WAL writer does the
// rest).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_event(const Event& e) = 0;
};

// Drops everything (tests, benches).
class NullSink final : public EventSink {
 public:
  void on_event(const Event&) override {}
};

}  // namespace authswitch::core
