// Operator operations: top-ups, limits, card status, new cards, hold expiry.
#include "core/assert.h"
#include "core/core.h"

namespace authswitch::core {

BalanceResult Core::adjust_balance(ShardId shard, std::uint32_t user, std::int64_t amount,
                                   std::string_view idempotency_key, std::uint64_t body_hash, EventSink& sink) {
  if (user >= acc_->users.size()) return {OpStatus::not_found, 0};
  if (idempotency_key.empty() || idempotency_key.size() > constants::account_id_bytes_max) {
    return {OpStatus::invalid, 0};
  }
  User& u = acc_->users[user];
  AS_ASSERT(u.shard == shard);
  Shard& sh = shards_[shard];
  // Keys are scoped to the user: the same key on another user's top-up is
  // another operation.
  const std::string key = std::to_string(user) + ":" + std::string(idempotency_key);
  if (auto it = sh.idempotency.find(key); it != sh.idempotency.end()) {
    if (it->second.body_hash != body_hash) return {OpStatus::conflict, 0};
    return {OpStatus::replayed, it->second.balance_after};
  }
  if (!u.has_balance) return {OpStatus::no_balance, 0};
  // A balance past the int64 range of minor units would wrap (undefined
  // behaviour): such a top-up is refused, and nothing changes.
  std::int64_t after = 0;
  if (__builtin_add_overflow(load_acquire(u.balance), amount, &after)) return {OpStatus::out_of_range, 0};
  if (sh.idempotency.size() >= constants::idempotency_keys_per_shard_max) return {OpStatus::full, 0};
  BalanceAdjustedEvent& e = sh.scratch.emplace<BalanceAdjustedEvent>();
  e.user = user;
  e.amount = amount;
  e.balance_after = after;
  e.idempotency_key_length = static_cast<std::uint8_t>(idempotency_key.size());
  idempotency_key.copy(e.idempotency_key.data(), idempotency_key.size());
  e.body_hash = body_hash;
  apply(sh.scratch);
  sink.on_event(sh.scratch);
  return {OpStatus::ok, e.balance_after};
}

void Core::apply_limits(LimitOwner owner, std::uint32_t index, const LimitList& limits) {
  if (owner == LimitOwner::user) {
    User& u = acc_->users[index];
    seq_write_begin(u.seq);
    const bool ok = install_limits(u.limits, *acc_->slots, limits, cfg_.zone);
    seq_write_end(u.seq);
    AS_ASSERT(ok);  // checked before the event was made
  } else {
    Company& c = acc_->companies[index];
    seq_write_begin(c.seq);
    const bool ok = install_limits(c.limits, *acc_->slots, limits, cfg_.zone);
    seq_write_end(c.seq);
    AS_ASSERT(ok);
  }
}

OpStatus Core::set_limits(ShardId shard, LimitOwner owner, std::uint32_t index, const LimitList& limits,
                          EventSink& sink, std::string* error) {
  const std::size_t n = owner == LimitOwner::user ? acc_->users.size() : acc_->companies.size();
  if (index >= n) return OpStatus::not_found;
  AS_ASSERT((owner == LimitOwner::user ? acc_->users[index].shard : acc_->companies[index].shard) == shard);
  if (std::string e = validate_limit_list(limits); !e.empty()) {
    if (error != nullptr) *error = std::move(e);
    return OpStatus::invalid;
  }
  // Worst case every period limit needs a new slot; refuse before changing anything.
  if (acc_->slots->available() < constants::period_limits_per_owner_max) return OpStatus::full;
  LimitsSetEvent& e = shards_[shard].scratch.emplace<LimitsSetEvent>();
  e.owner = owner;
  e.index = index;
  e.limits = limits;
  apply(shards_[shard].scratch);
  sink.on_event(shards_[shard].scratch);
  return OpStatus::ok;
}

OpStatus Core::set_card_status(std::uint32_t card, CardStatus status, EventSink& sink) {
  if (card >= acc_->card_pans.size()) return OpStatus::not_found;
  const Event ev = CardStatusEvent{card, status};
  apply(ev);
  sink.on_event(ev);
  return OpStatus::ok;
}

void Core::apply_card_added(const CardAddedEvent& e) {
  const std::string_view id(e.id.data(), e.id_length);
  const auto index = acc_->card_ids.insert(id);
  AS_ASSERT(index && *index == e.card);
  CardEntry c;
  c.pan = e.pan.value;
  c.pan_digits = e.pan.digits;
  c.status = static_cast<std::uint8_t>(e.status);
  c.currency = e.currency;
  c.expiry_yymm = e.expiry_yymm;
  c.shard = acc_->users[e.user].shard;
  c.user = e.user;
  c.card = e.card;
  acc_->card_pans.push_back(e.pan);
  const CardEntry* inserted = acc_->cards.insert(c);
  AS_ASSERT(inserted != nullptr);
}

OpStatus Core::add_card(const NewCard& card, EventSink& sink, std::uint32_t* index_out) {
  if (card.user >= acc_->users.size()) return OpStatus::not_found;
  if (card.id.empty() || card.id.size() > constants::account_id_bytes_max || card.pan.digits < pan_digits_min ||
      card.expiry_yymm % 100 < 1 || card.expiry_yymm % 100 > 12 || card.currency > 999) {
    return OpStatus::invalid;
  }
  if (acc_->card_ids.find(card.id) != IdIndex::none || acc_->cards.find(card.pan) != nullptr) {
    return OpStatus::duplicate;
  }
  if (acc_->cards.size() + 1 > acc_->cards.capacity_cards()) return OpStatus::full;
  CardAddedEvent e;
  e.card = static_cast<std::uint32_t>(acc_->card_ids.size());
  e.id_length = static_cast<std::uint8_t>(card.id.size());
  card.id.copy(e.id.data(), card.id.size());
  e.pan = card.pan;
  e.user = card.user;
  e.expiry_yymm = card.expiry_yymm;
  e.status = card.status;
  e.currency = card.currency;
  const Event ev = e;
  apply(ev);
  sink.on_event(ev);
  if (index_out != nullptr) *index_out = e.card;
  return OpStatus::ok;
}

std::size_t Core::expire_holds(ShardId shard, TimeMs now, TimeMs hold_ms, EventSink& sink) {
  HoldSweep sweep;
  std::size_t expired = 0;
  do {
    expired += expire_holds_step(shard, now, hold_ms, sink, sweep, txns_.capacity(), txns_.capacity());
  } while (sweep.next != 0);
  return expired;
}

std::size_t Core::expire_holds_step(ShardId shard, TimeMs now, TimeMs hold_ms, EventSink& sink, HoldSweep& sweep,
                                    std::size_t max_entries, std::size_t max_events) {
  // A walk of the table in steps: the whole of it (2^22 entries) takes
  // ~20 ms, too long to keep a shard's authorizations waiting, so the switch
  // takes it a slice at a time between batches, and stops a slice early at
  // `max_events` (the room the log has for the records it will write).
  std::size_t expired = 0;
  TxnEntry* entries = txns_.entries();
  const std::size_t end = sweep.next + max_entries < txns_.capacity() ? sweep.next + max_entries : txns_.capacity();
  std::size_t i = sweep.next;
  for (; i < end && expired < max_events; ++i) {
    TxnEntry& e = entries[i];
    const TxnKey key{load_acquire(e.key_hi), load_acquire(e.key_lo)};
    if (key.hi == 0 || static_cast<TxnState>(load_acquire(e.state)) != TxnState::final) continue;
    if (static_cast<EffectKind>(load_acquire(e.effect_kind)) != EffectKind::hold || load_acquire(e.reversed) != 0 ||
        load_acquire(e.remaining) <= 0 || load_acquire(e.txn_time) + hold_ms > now ||
        acc_->users[load_acquire(e.user)].shard != shard) {
      continue;
    }
    // Pinned while it is changed: not reused under this thread (txn_table.h).
    // Once pinned, nothing else changes it; check again what was read racily.
    if (!TxnTable::transition(e, key, TxnState::final, TxnState::pinned)) continue;
    const std::int64_t remaining = load_acquire(e.remaining);
    if (static_cast<EffectKind>(e.effect_kind) != EffectKind::hold || e.reversed != 0 || remaining <= 0 ||
        e.txn_time + hold_ms > now || acc_->users[e.user].shard != shard) {
      TxnTable::unpin(e);
      continue;
    }
    HoldExpiredEvent& h = shards_[shard].scratch.emplace<HoldExpiredEvent>();
    h.original_key = key;
    h.at = now;
    h.released = remaining;
    h.effect.user = e.user;
    h.effect.hold_delta = -remaining;
    const User& u = acc_->users[e.user];
    for (std::size_t s = 0; s < e.slot_count; ++s) {
      for (const LimitOwner owner : {LimitOwner::user, LimitOwner::company}) {
        if (owner == LimitOwner::company && u.company == no_index) continue;
        const LimitSet& set = owner == LimitOwner::user ? u.limits : acc_->companies[u.company].limits;
        const std::uint8_t n = load_acquire(set.slot_count);
        for (std::uint8_t p = 0; p < n; ++p) {
          if (load_acquire(set.slots[p]) == e.slots[s]) {
            h.effect.deltas[h.effect.delta_count++] = SlotDelta{owner, p, e.period_starts[s], -remaining};
          }
        }
      }
    }
    apply(shards_[shard].scratch);
    TxnTable::unpin(e);
    sink.on_event(shards_[shard].scratch);
    ++expired;
  }
  sweep.next = i < txns_.capacity() ? i : 0;
  return expired;
}

}  // namespace authswitch::core
