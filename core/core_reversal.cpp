// Reversals (0400/0401) and reversal advices (0420/0421), SPEC 2.
#include <limits>

#include "core/assert.h"
#include "core/core.h"

namespace authswitch::core {

namespace {

bool is_original_class(unsigned mti) {
  const MtiClass c = mti_class_of(mti);
  return c == MtiClass::authorization || c == MtiClass::financial || c == MtiClass::advice;
}

// Field 95's actual amount replaces field 4, so it is in the original's
// transaction currency; what the original held or posted (`applied`) is in
// the card's (field 6, when the original carried one). The actual amount is
// converted at the original's own rate (field 6 over field 4), rounded up:
// what stays applied never falls short of it.
std::int64_t actual_in_card_currency(std::int64_t actual, std::int64_t amount, std::int64_t applied) noexcept {
  if (actual <= 0 || amount <= 0 || amount == applied) return actual;
  __extension__ typedef unsigned __int128 Wide;  // 12 digits times 12 digits
  const Wide kept = (static_cast<Wide>(actual) * static_cast<Wide>(applied) + static_cast<Wide>(amount) - 1) /
                    static_cast<Wide>(amount);
  constexpr std::int64_t most = std::numeric_limits<std::int64_t>::max();
  return kept > static_cast<Wide>(most) ? most : static_cast<std::int64_t>(kept);
}

}  // namespace

AuthResponse Core::decide_reversal(Shard& sh, ShardId shard, const AuthRequest& r, EventSink& sink) {
  note_txn_time(sh, r.txn_time_ms);
  ReversalEvent& d = sh.scratch.emplace<ReversalEvent>();
  d.mti_class = r.mti_class;
  d.txn_time = r.txn_time_ms;
  const bool advice = r.mti_class == MtiClass::reversal_advice;
  AuthResponse out;
  auto finish = [&]() {
    out.rc = d.rc;
    out.reason = d.reason;
    out.duplicate = d.duplicate;
    sink.on_event(sh.scratch);
    return out;
  };

  using F = AuthRequest;
  const auto pan = r.parsed_pan();
  const std::uint32_t need = F::f2 | F::f4 | F::f7 | F::f11;
  if ((r.present & need) != need || !pan || r.stan > 999'999 || r.acquirer > 99'999'999'999ull ||
      r.field7 > 1'231'235'959u ||
      (r.has(F::f90) && (r.original.stan > 999'999 || r.original.acquirer > 99'999'999'999ull ||
                         r.original.field7 > 1'231'235'959u))) {
    d.rc = ResponseCode::format_error;
    return finish();
  }
  d.key = make_txn_key(static_cast<std::uint8_t>(r.mti_class), r.acquirer, r.field7, r.stan);
  d.content = TxnContent{*pan, r.processing_code, r.amount, r.currency, r.amount_numeric};

  // Rule 2 for the reversal itself.
  TxnAnswer stored;
  const TxnTable::Result claim = claim_key(sh, d.key, d.content, r.txn_time_ms, &stored);
  if (claim.outcome == TxnTable::Outcome::full) {
    d.rc = ResponseCode::system_unavailable;
    return finish();
  }
  if (claim.outcome == TxnTable::Outcome::found) {
    const TxnState state = stored.state;
    d.duplicate = true;
    if (state != TxnState::final && state != TxnState::pending && state != TxnState::pinned) {
      d.rc = ResponseCode::system_unavailable;
    } else if (!same_content(stored.content, d.content, cfg_.pan_hash_key)) {
      d.rc = ResponseCode::duplicate_transmission;
    } else if (state == TxnState::pending) {
      d.rc = ResponseCode::system_unavailable;
    } else {
      d.rc = static_cast<ResponseCode>(stored.rc);
      d.reason = decode_reason(stored.reason);
    }
    return finish();
  }

  // The original: by field 90, else by this message's own 32, 11, 7.
  TxnEntry* orig = nullptr;
  if (r.has(F::f90)) {
    if (is_original_class(r.original.mti)) {
      d.original_key = make_txn_key(static_cast<std::uint8_t>(mti_class_of(r.original.mti)), r.original.acquirer,
                                    r.original.field7, r.original.stan);
      orig = txns_.find(d.original_key);
    }
  } else {
    for (const MtiClass c : {MtiClass::authorization, MtiClass::financial, MtiClass::advice}) {
      const TxnKey k = make_txn_key(static_cast<std::uint8_t>(c), r.acquirer, r.field7, r.stan);
      if (c == MtiClass::authorization) d.original_key = k;
      if ((orig = txns_.find(k)) != nullptr) {
        d.original_key = k;
        break;
      }
    }
  }

  // Found only when decided (final) for this same card: a reversal with
  // another PAN, or one racing its original on another shard, does not match.
  // A found original is pinned (final -> pinned) until its change is applied,
  // so it cannot be reused under this thread (txn_table.h).
  bool found = false;
  // An unknown card's original keeps its PAN hashed (keyed_pan.h).
  if (orig != nullptr &&
      same_pan(Pan{load_acquire(orig->pan), load_acquire(orig->pan_digits)}, *pan, cfg_.pan_hash_key)) {
    TxnState seen = TxnState::final;
    found = TxnTable::transition(*orig, d.original_key, TxnState::final, TxnState::pinned, &seen);
    if (!found && seen == TxnState::reusing) orig = nullptr;  // gone: remembered like an unknown one
  }
  if (found) {
    d.original_found = true;
    d.rc = ResponseCode::approved;
    const auto kind = static_cast<EffectKind>(orig->effect_kind);
    const std::int64_t remaining = load_acquire(orig->remaining);
    if (kind != EffectKind::none && load_acquire(orig->reversed) == 0 && remaining > 0) {
      AS_ASSERT(acc_->users[orig->user].shard == shard);
      std::int64_t release = remaining;
      if (r.has(F::f95)) {
        release = orig->effect_amount -
                  actual_in_card_currency(r.actual_amount, load_acquire(orig->amount), orig->effect_amount);
        if (release < 0) release = 0;
        if (release > remaining) release = remaining;
      }
      d.released = release;
      d.effect.user = orig->user;
      if (kind == EffectKind::hold) d.effect.hold_delta = -release;
      const User& u = acc_->users[orig->user];
      if (kind == EffectKind::posted && u.has_balance) d.effect.balance_delta = release;
      // Limit totals: by the slots the original counted in, as positions in
      // the owners' current lists (a limit removed since is skipped).
      for (std::size_t i = 0; i < orig->slot_count && release > 0; ++i) {
        for (const LimitOwner owner : {LimitOwner::user, LimitOwner::company}) {
          if (owner == LimitOwner::company && u.company == no_index) continue;
          const LimitSet& set = owner == LimitOwner::user ? u.limits : acc_->companies[u.company].limits;
          const std::uint8_t n = load_acquire(set.slot_count);
          for (std::uint8_t p = 0; p < n; ++p) {
            if (load_acquire(set.slots[p]) == orig->slots[i]) {
              d.effect.deltas[d.effect.delta_count++] = SlotDelta{owner, p, orig->period_starts[i], -release};
            }
          }
        }
      }
    }
  } else {
    d.rc = advice ? ResponseCode::approved : ResponseCode::original_not_found;
    if (!advice) d.reason = Reason{Reason::Kind::original_not_found};
    if (orig == nullptr && d.original_key.hi != 0) {
      // Remembered: if the original arrives later it is declined (rule 3).
      const TxnTable::Result rem =
          txns_.find_or_claim(d.original_key, TxnContent{}, TxnState::remembered, r.txn_time_ms);
      d.remembered = rem.outcome == TxnTable::Outcome::claimed;
    }
  }
  // An unknown card's PAN is kept hashed, as a request's (keyed_pan.h). A
  // found original has told already (hashed or not): only a reversal whose
  // original is not found looks the card up.
  if (found ? is_keyed(Pan{load_acquire(orig->pan), load_acquire(orig->pan_digits)})
            : acc_->cards.find(*pan) == nullptr) {
    d.content.pan = keyed_pan(*pan, cfg_.pan_hash_key);
  }
  d.stored = true;
  apply_reversal(d, claim.entry);
  if (found) TxnTable::unpin(*orig);
  return finish();
}

}  // namespace authswitch::core
