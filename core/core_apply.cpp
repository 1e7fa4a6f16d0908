// Applying events: the one code path that changes shared state, used live
// (right after a decision) and by replay.
#include "core/assert.h"
#include "core/core.h"

namespace authswitch::core {

// Inline (every caller is in this file): the hot path paid a call for it.
inline void Core::store_answer(TxnEntry& e, const TxnContent* content, ResponseCode rc, Reason reason, MtiClass cls,
                        const std::array<char, 6>* approval) {
  // A claimed entry got its content with the claim, and other threads may be
  // reading it: it is written here only into a remembered entry (no content).
  // Atomic stores: a reader still holding a reused entry's address reads
  // them atomically before it sees the key change (txn_table.h).
  if (content != nullptr) store_content(e, *content);
  store_release(e.rc, static_cast<std::uint8_t>(rc));
  store_release(e.reason, encode_reason(reason));
  store_release(e.mti_class, static_cast<std::uint8_t>(cls));
  store_release(e.has_approval, std::uint8_t{approval != nullptr ? std::uint8_t{1} : std::uint8_t{0}});
  if (approval != nullptr) {
    // Six byte stores in a row: the loop's counting was as many instructions again.
#pragma GCC unroll 6
    for (std::size_t i = 0; i < e.approval.size(); ++i) store_release(e.approval[i], (*approval)[i]);
  }
}

void Core::store_content(TxnEntry& e, const TxnContent& content) {
  store_release(e.pan, content.pan.value);
  store_release(e.pan_digits, content.pan.digits);
  store_release(e.processing_code, content.processing_code);
  store_release(e.amount, content.amount);
  store_release(e.currency, content.currency);
  store_release(e.amount_numeric, std::uint8_t{content.amount_numeric ? std::uint8_t{1} : std::uint8_t{0}});
}

// The slots an effect's deltas name in the limit lists of `u` and `c`, looked
// up once: null where the owner has no limit at that position (any more).
void Core::resolve_slots(const Effect& ef, const User& u, const Company* c, LimitSlot** out) const {
  const LimitSet* const sets[2] = {&u.limits, c != nullptr ? &c->limits : nullptr};
  static_assert(static_cast<int>(LimitOwner::company) == 1 && static_cast<int>(LimitOwner::user) == 0);
  SlotPool& pool = *acc_->slots;
  for (std::size_t i = 0; i < ef.delta_count; ++i) {
    const SlotDelta& sd = ef.deltas[i];
    const LimitSet* set = sets[static_cast<int>(sd.owner) & 1];
    out[i] = set == nullptr || sd.position >= load_acquire(set->slot_count)
                 ? nullptr
                 : &pool[load_acquire(set->slots[sd.position])];
  }
}

void Core::apply_effect(const Effect& ef, TimeMs txn_time, bool add) {
  if (ef.user == no_index || ef.empty()) return;
  User& u = acc_->users[ef.user];
  Company* c = u.company != no_index ? &acc_->companies[u.company] : nullptr;
  LimitSlot* slots[constants::slots_per_decision_max];
  resolve_slots(ef, u, c, slots);
  apply_effect_to(ef, u, c, slots, txn_time, add);
}

// The user's and company's seqlocks bracket every store, so a reader sees all
// of an effect or none of it. Inline, as store_answer: its callers are all here.
inline void Core::apply_effect_to(const Effect& ef, User& u, Company* c, LimitSlot* const* slots,
                                  TimeMs txn_time, bool add) {
  // The count read once: the atomic stores below would make the compiler
  // read it again every turn.
  const std::size_t n = ef.delta_count;
  seq_write_begin(u.seq);
  if (c != nullptr) seq_write_begin(c->seq);
  for (std::size_t i = 0; i < n; ++i) {
    LimitSlot* s = slots[i];
    if (s == nullptr) continue;
    const SlotDelta& sd = ef.deltas[i];
    if (add) {
      slot_add_at(*s, cfg_.zone, txn_time, sd.period_start, sd.amount);
    } else {
      (void)slot_adjust(*s, sd.period_start, sd.amount);  // a past period is only recorded
    }
  }
  if (ef.hold_delta != 0) store_release(u.open_holds, load_acquire(u.open_holds) + ef.hold_delta);
  if (ef.balance_delta != 0) store_release(u.balance, load_acquire(u.balance) + ef.balance_delta);
  if (c != nullptr) seq_write_end(c->seq);
  seq_write_end(u.seq);
}

void Core::apply_decision(const DecisionEvent& d, TxnEntry* entry, const ResolvedSlots* resolved) {
  if (!d.stored) return;
  const bool replay = entry == nullptr;
  if (replay) {  // find the key (a remembered reversal) or claim it
    const TxnTable::Result res = txns_.find_or_claim(d.key, d.content, TxnState::pending, d.txn_time);
    if (res.outcome == TxnTable::Outcome::full) {
      // The table reuses old entries; replay may have kept others than the
      // live run did (claims of two shards logged in another order than
      // they happened), so a window can be full here that was not live. The
      // totals still move; only the record of this answer is lost.
      if (d.effect_kind != EffectKind::none) apply_effect(d.effect, d.txn_time, true);
      if (d.has_approval) note_approval_code(d.approval);
      return;
    }
    entry = res.entry;
  }
  TxnEntry& e = *entry;
  if (!replay && !d.took_remembered && is_keyed(d.content.pan)) {
    // An unknown card: the claim stored the plain PAN, the hash replaces it.
    // Taking (read_answer skips the content, answers "being decided") so
    // that no reader compares a half-written PAN; a pending entry is its
    // claimer's alone, no CAS needed.
    store_release(e.state, static_cast<std::uint32_t>(TxnState::taking));
    store_content(e, d.content);
  }
  store_answer(e, d.took_remembered ? &d.content : nullptr, d.rc, d.reason, d.mti_class,
               d.has_approval ? &d.approval : nullptr);
  store_release(e.card, d.card);
  store_release(e.user, d.effect.user);
  store_release(e.has_available, std::uint8_t{d.has_available ? std::uint8_t{1} : std::uint8_t{0}});
  const auto available = static_cast<std::uint64_t>(d.available);
  store_release(e.available_hi, static_cast<std::uint16_t>(available >> 32));
  store_release(e.available_lo, static_cast<std::uint32_t>(available));
  store_release(e.txn_time, d.txn_time);
  store_release(e.effect_kind, static_cast<std::uint8_t>(d.effect_kind));  // read by reusers (atomically)
  e.effect_amount = d.effect_amount;
  store_release(e.remaining, d.effect_amount);
  store_release(e.reversed, std::uint8_t{d.took_remembered ? std::uint8_t{1} : std::uint8_t{0}});
  e.slot_count = 0;
  if (d.effect_kind != EffectKind::none) {
    // The slots are looked up once, for the entry (what a reversal undoes)
    // and for the effect; live, the decision has already looked them up.
    User& u = acc_->users[d.effect.user];
    Company* c = u.company != no_index ? &acc_->companies[u.company] : nullptr;
    const std::size_t n = d.effect.delta_count;
    LimitSlot* looked_up[constants::slots_per_decision_max];
    LimitSlot* const* slots = looked_up;
    if (resolved != nullptr) {
      for (std::size_t i = 0; i < n; ++i) {
        e.slots[i] = resolved->index[i];
        e.period_starts[i] = d.effect.deltas[i].period_start;
      }
      slots = resolved->slot.data();
    } else {
      const LimitSet* const sets[2] = {&u.limits, c != nullptr ? &c->limits : nullptr};
      SlotPool& pool = *acc_->slots;
      for (std::size_t i = 0; i < n; ++i) {
        const SlotDelta& sd = d.effect.deltas[i];
        const LimitSet* set = sets[static_cast<int>(sd.owner) & 1];
        AS_ASSERT(set != nullptr);  // the log's reader rejects company deltas of a company-less user
        const std::uint32_t slot = load_acquire(set->slots[sd.position]);
        e.slots[i] = slot;
        e.period_starts[i] = sd.period_start;
        looked_up[i] = sd.position < load_acquire(set->slot_count) ? &pool[slot] : nullptr;
      }
    }
    e.slot_count = static_cast<std::uint8_t>(n);
    if (!d.effect.empty()) apply_effect_to(d.effect, u, c, slots, d.txn_time, true);
  }
  // Live, make_approval_code has already moved the counter on.
  if (replay && d.has_approval) note_approval_code(d.approval);
  store_release(e.state, static_cast<std::uint32_t>(TxnState::final));
}

void Core::apply_reversal(const ReversalEvent& d, TxnEntry* entry) {
  if (!d.stored) return;
  const bool replay = entry == nullptr;
  if (replay) {
    const TxnTable::Result res = txns_.find_or_claim(d.key, d.content, TxnState::pending, d.txn_time);
    entry = res.entry;  // null when full (see apply_decision): the totals still move
  }
  if (d.remembered) {
    // Live, the decision already claimed it; replay claims it here.
    (void)txns_.find_or_claim(d.original_key, TxnContent{}, TxnState::remembered, d.txn_time);
  }
  if (d.original_found) {
    // Replay may have reused the original's entry where the live run had not
    // (see apply_decision): then only the totals move.
    if (TxnEntry* orig = txns_.find(d.original_key)) {
      store_release(orig->reversed, std::uint8_t{1});
      store_release(orig->remaining, load_acquire(orig->remaining) - d.released);
    }
    apply_effect(d.effect, d.txn_time, false);
  }
  if (entry == nullptr) return;
  TxnEntry& e = *entry;
  if (!replay && is_keyed(d.content.pan)) {  // an unknown card: as in apply_decision
    store_release(e.state, static_cast<std::uint32_t>(TxnState::taking));
    store_content(e, d.content);
  }
  store_answer(e, nullptr, d.rc, d.reason, d.mti_class, nullptr);
  store_release(e.txn_time, d.txn_time);
  store_release(e.user, d.effect.user);
  store_release(e.state, static_cast<std::uint32_t>(TxnState::final));
}

void Core::apply(const Event& ev) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, DecisionEvent>) {
          note_txn_time(shards_[0], e.txn_time);
          apply_decision(e, nullptr);
        } else if constexpr (std::is_same_v<T, ReversalEvent>) {
          note_txn_time(shards_[0], e.txn_time);
          apply_reversal(e, nullptr);
        } else if constexpr (std::is_same_v<T, HoldExpiredEvent>) {
          if (TxnEntry* orig = txns_.find(e.original_key)) {  // may be reused in replay (see apply_decision)
            store_release(orig->remaining, load_acquire(orig->remaining) - e.released);
          }
          apply_effect(e.effect, e.at, false);
        } else if constexpr (std::is_same_v<T, LimitsSetEvent>) {
          apply_limits(e.owner, e.index, e.limits);
        } else if constexpr (std::is_same_v<T, CardStatusEvent>) {
          CardEntry* c = acc_->cards.find(acc_->card_pans[e.card]);
          AS_ASSERT(c != nullptr);
          store_release(c->status, static_cast<std::uint8_t>(e.status));
        } else if constexpr (std::is_same_v<T, CardAddedEvent>) {
          apply_card_added(e);
        } else if constexpr (std::is_same_v<T, BalanceAdjustedEvent>) {
          User& u = acc_->users[e.user];
          seq_write_begin(u.seq);
          store_release(u.balance, load_acquire(u.balance) + e.amount);
          seq_write_end(u.seq);
          shards_[u.shard].idempotency[std::to_string(e.user) + ":" +
                                       std::string(e.idempotency_key.data(), e.idempotency_key_length)] =
              IdempotencyRecord{e.body_hash, e.balance_after};
        }
      },
      ev);
}

}  // namespace authswitch::core
