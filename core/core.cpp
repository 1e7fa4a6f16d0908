#include "core/core.h"

#include <atomic>
#include <cstring>

#include "core/assert.h"

namespace authswitch::core {

namespace {

constexpr std::uint64_t approval_code_space = 2'176'782'336ull;  // 36^6
constexpr char base36[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

// Two base-36 digits per entry (36^2 = 1,296): a code is three table reads
// and two 32-bit divisions by a constant instead of six 64-bit ones.
constexpr std::uint32_t base36_pair_count = 36 * 36;
constexpr std::array<std::array<char, 2>, base36_pair_count> base36_pairs = [] {
  std::array<std::array<char, 2>, base36_pair_count> t{};
  for (std::uint32_t i = 0; i < base36_pair_count; ++i) t[i] = {base36[i / 36], base36[i % 36]};
  return t;
}();

// Rule 1 for the fields the core reads: the codec has parsed the message;
// here the fields the MTI class requires must be present and in range.
bool format_ok(const AuthRequest& r, const std::optional<Pan>& pan) {
  using F = AuthRequest;
  std::uint32_t need = F::f2 | F::f4 | F::f7 | F::f11;
  if (r.mti_class == MtiClass::authorization || r.mti_class == MtiClass::financial) need |= F::f3;
  if ((r.present & need) != need) return false;
  if (!pan) return false;
  if (r.stan > 999'999 || r.acquirer > 99'999'999'999ull || r.field7 > 1'231'235'959u) return false;
  if (r.has(F::f90) && (r.original.stan > 999'999 || r.original.acquirer > 99'999'999'999ull ||
                        r.original.field7 > 1'231'235'959u)) {
    return false;
  }
  return true;
}

bool is_debit(unsigned type) { return type == 0 || type == 1 || type == 9; }
bool is_inquiry(unsigned type) { return type == 30 || type == 31; }
constexpr unsigned refund_type = 20;

}  // namespace

Core::Core(std::unique_ptr<Accounts> accounts, CoreConfig config)
    : acc_(std::move(accounts)),
      cfg_(std::move(config)),
      txns_(cfg_.txn_capacity,
            TxnRetention{cfg_.duplicate_window_ms,
                         static_cast<TimeMs>(cfg_.hold_days) * ms_per_day + constants::txn_hold_grace_ms}) {
  AS_ASSERT(cfg_.shards >= 1 && cfg_.shards <= constants::shards_max);
  shards_ = std::make_unique<Shard[]>(cfg_.shards);
  for (std::size_t c = 0; c < acc_->companies.size(); ++c) {
    acc_->companies[c].shard = static_cast<std::uint16_t>(c % cfg_.shards);
  }
  for (std::size_t u = 0; u < acc_->users.size(); ++u) {
    User& user = acc_->users[u];
    user.shard = user.company != no_index ? acc_->companies[user.company].shard
                                          : static_cast<std::uint16_t>(u % cfg_.shards);
  }
  for (const CardEntry& e : acc_->cards.entries()) {
    if (e.pan_digits == 0) continue;
    const_cast<CardEntry&>(e).shard = acc_->users[e.user].shard;
  }
  expiry_end_.assign(10'000, time_ms_min);  // months 00 and 13-99: treated as expired
  for (int yy = 0; yy < 100; ++yy) {
    for (int mm = 1; mm <= 12; ++mm) {
      const date::year_month next = date::year{2000 + yy} / date::month{static_cast<unsigned>(mm)} + date::months{1};
      expiry_end_[static_cast<std::size_t>(yy * 100 + mm)] =
          cfg_.zone.to_sys(LocalMinutes{date::local_days{next / 1}.time_since_epoch()});
    }
  }
}

Core::~Core() = default;

TimeMs Core::expiry_end(std::uint16_t yymm) const noexcept {
  return yymm < expiry_end_.size() ? expiry_end_[yymm] : time_ms_min;  // treated as expired
}

std::uint64_t Core::approvals_issued(ShardId shard) const noexcept { return shards_[shard].approvals; }

TxnStats Core::txn_stats() const noexcept {
  TxnStats t;
  for (std::size_t s = 0; s < cfg_.shards; ++s) {
    t.reused += load_acquire(shards_[s].txn_reused);
    t.full_window += load_acquire(shards_[s].txn_full_window);
    t.full_holds += load_acquire(shards_[s].txn_full_holds);
  }
  return t;
}

namespace {
// A counter of the shard's own (one writer): a plain increment published atomically.
void bump(std::uint64_t& c) noexcept { store_release(c, load_acquire(c) + 1); }

// Where a key's staged-prefetch mark goes in Shard::staged: the STAN's low
// bits mixed with field 7's and the acquirer's, so the 8 requests between
// stage `user` and the decision rarely share a mark.
std::size_t staged_slot(const TxnKey& k) noexcept {
  return static_cast<std::size_t>(k.lo ^ (k.lo >> 20) ^ k.hi) & 31u;
}
// The marks are a hint: relaxed atomics, so that a prefetch issued on any
// thread is never a data race. A mark read torn or overwritten only makes
// the claim fetch its candidate bodies early (or not) when it need not:
// which lines are fetched, never what is decided.
std::uint64_t load_hint(const std::uint64_t& w) noexcept {
  return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(w)).load(std::memory_order_relaxed);
}
void store_hint(std::uint64_t& w, std::uint64_t v) noexcept {
  std::atomic_ref<std::uint64_t>(w).store(v, std::memory_order_relaxed);
}
bool was_staged(const std::array<TxnKey, 32>& marks, const TxnKey& k) noexcept {
  const TxnKey& m = marks[staged_slot(k)];
  return load_hint(m.lo) == k.lo && load_hint(m.hi) == k.hi;
}
}  // namespace

TxnTable::Result Core::claim_key(Shard& sh, const TxnKey& key, const TxnContent& content, TimeMs now,
                                 TxnAnswer* answer) {
  for (;;) {
    const TxnTable::Result res = txns_.find_or_claim(key, content, TxnState::pending, now);
    if (res.outcome == TxnTable::Outcome::found) {
      // Reused for another key under us: the key is gone, claim it afresh.
      if (!TxnTable::read_answer(*res.entry, key, answer)) continue;
    } else if (res.outcome == TxnTable::Outcome::claimed) {
      if (res.reused) bump(sh.txn_reused);
    } else {
      bump(res.why == TxnTable::FullReason::holds ? sh.txn_full_holds : sh.txn_full_window);
    }
    return res;
  }
}

ShardId Core::route(const AuthRequest& r) const noexcept {
  const auto pan = r.parsed_pan();
  if (!pan) return 0;
  if (const CardEntry* e = acc_->cards.find(*pan)) return load_acquire(e->shard);
  return static_cast<ShardId>(pan->value % cfg_.shards);
}

void Core::prefetch(const AuthRequest& r, PrefetchStage stage) const noexcept {
  const auto pan = r.parsed_pan();
  if (!pan) return;
  // The key only for the stages that use it (the limits stage built and
  // spilled it for nothing).
  auto key = [&r] { return make_txn_key(static_cast<std::uint8_t>(r.mti_class), r.acquirer, r.field7, r.stan); };
  if (stage == PrefetchStage::index) {
    acc_->cards.prefetch(*pan);
    txns_.prefetch(key());
    return;
  }
  if (stage == PrefetchStage::user) {
    const TxnKey k = key();
    txns_.prefetch_body(k);  // its tags came with stage index
    if (const CardEntry* e = acc_->cards.find(*pan)) {
      prefetch_write(&acc_->users[e->user]);
      // Marked for the card's shard: its thread decides the request (the io
      // layer routes by card) and is the thread issuing these stages.
      TxnKey& mark = shards_[load_acquire(e->shard)].staged[staged_slot(k)];
      store_hint(mark.hi, k.hi);
      store_hint(mark.lo, k.lo);
    }
    return;
  }
  const CardEntry* e = acc_->cards.find(*pan);
  if (e == nullptr) return;
  const User& u = acc_->users[e->user];
  const SlotPool& pool = *acc_->slots;
  const std::uint8_t n = load_acquire(u.limits.slot_count);
  for (std::size_t i = 0; i < n; ++i) prefetch_write(&pool[load_acquire(u.limits.slots[i])]);
  // Companies are few (one per 100 users in the demo: 5,000 lines and their
  // slots, 640 KiB) and mostly cached; their slots are not chased here.
  if (u.company != no_index) prefetch_write(&acc_->companies[u.company]);
}

void Core::make_approval_code(ShardId shard, std::array<char, 6>& out) {
  Shard& sh = shards_[shard];
  static_assert(approval_code_space <= 0xffffffffull);
  static_assert(constants::shards_max < base36_pair_count);  // a step carries at most once per digit
  constexpr std::uint32_t pair = base36_pair_count;
  // The code is (approvals * shards + shard) % 36^6 in three base-1,296
  // digits. The digits of the next code are kept from the last one, a step of
  // `shards` with carries: the modulo and the two divisions behind them were
  // ~35 instructions of every approval. Computed whole whenever the counter
  // was set from elsewhere (replay, a snapshot load).
  if (sh.code_approvals != sh.approvals) {
    auto v = static_cast<std::uint32_t>((sh.approvals * cfg_.shards + shard) % approval_code_space);
    sh.code_digits[0] = static_cast<std::uint16_t>(v / (pair * pair));
    v -= sh.code_digits[0] * (pair * pair);
    sh.code_digits[1] = static_cast<std::uint16_t>(v / pair);
    sh.code_digits[2] = static_cast<std::uint16_t>(v - sh.code_digits[1] * pair);
  }
  std::array<std::uint16_t, 3>& dg = sh.code_digits;
  // Three two-byte copies rather than six one-byte ones.
  std::memcpy(out.data(), base36_pairs[dg[0]].data(), 2);
  std::memcpy(out.data() + 2, base36_pairs[dg[1]].data(), 2);
  std::memcpy(out.data() + 4, base36_pairs[dg[2]].data(), 2);
  dg[2] = static_cast<std::uint16_t>(dg[2] + cfg_.shards);
  if (dg[2] >= pair) {
    dg[2] = static_cast<std::uint16_t>(dg[2] - pair);
    if (++dg[1] == pair) {
      dg[1] = 0;
      if (++dg[0] == pair) dg[0] = 0;  // past ZZZZZZ: 000000, as the modulo
    }
  }
  ++sh.approvals;
  sh.code_approvals = sh.approvals;
}

void Core::note_approval_code(const std::array<char, 6>& code) {
  std::uint64_t v = 0;
  for (const char c : code) {
    const auto digit = static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'A' + 10);
    v = v * 36 + digit;
  }
  Shard& sh = shards_[v % cfg_.shards];
  const std::uint64_t next = v / cfg_.shards + 1;
  if (next > sh.approvals) sh.approvals = next;
}

AuthResponse Core::authorize(ShardId shard, const AuthRequest& r, EventSink& sink) {
  AS_ASSERT(shard < cfg_.shards);
  Shard& sh = shards_[shard];
  if (r.mti_class == MtiClass::reversal || r.mti_class == MtiClass::reversal_advice) {
    return decide_reversal(sh, shard, r, sink);
  }
  return decide_request(sh, shard, r, sink);
}

namespace {
// The shard's scratch event as a new DecisionEvent. When it already is one
// (nearly always) it is reset in place rather than destroyed and rebuilt
// whole (344 bytes zeroed every decision). Its deltas are left as they are:
// an approval writes the same number again; `clear_stale_deltas` zeroes any
// left past the new count before the event is reported, so the sink sees
// exactly what a fresh DecisionEvent{} filled in would be.
DecisionEvent& fresh_decision(Event& scratch, std::uint8_t* stale_deltas) {
  DecisionEvent* d = std::get_if<DecisionEvent>(&scratch);
  if (d == nullptr) {
    *stale_deltas = 0;
    return scratch.emplace<DecisionEvent>();
  }
  // Every member is reset below: a member added to DecisionEvent or Effect
  // must be added here too.
  static_assert(sizeof(DecisionEvent) == 344 && sizeof(Effect) == 224);
  Effect& ef = d->effect;
  *stale_deltas = ef.delta_count;
  ef.user = Effect{}.user;
  ef.hold_delta = 0;
  ef.balance_delta = 0;
  ef.delta_count = 0;
  d->key = TxnKey{};
  d->mti_class = MtiClass::authorization;
  d->content = TxnContent{};
  d->card = DecisionEvent{}.card;
  d->txn_time = 0;
  d->rc = ResponseCode::system_error;
  d->reason = Reason{};
  d->has_approval = false;
  d->approval = {};
  d->stored = false;
  d->duplicate = false;
  d->took_remembered = false;
  d->has_available = false;
  d->available = 0;
  d->effect_kind = EffectKind::none;
  d->effect_amount = 0;
  return *d;
}

void clear_stale_deltas(Effect& ef, std::uint8_t stale) {
  for (std::size_t i = ef.delta_count; i < stale; ++i) ef.deltas[i] = SlotDelta{};
}
}  // namespace

AuthResponse Core::decide_request(Shard& sh, ShardId shard, const AuthRequest& r, EventSink& sink) {
  note_txn_time(sh, r.txn_time_ms);
  std::uint8_t stale_deltas = 0;
  DecisionEvent& d = fresh_decision(sh.scratch, &stale_deltas);
  d.mti_class = r.mti_class;
  d.txn_time = r.txn_time_ms;
  AuthResponse out;
  std::optional<Pan> pan;
  auto finish = [&]() {
    out.rc = d.rc;
    out.reason = d.reason;
    out.has_approval_code = d.has_approval;
    out.approval_code = d.approval;
    out.duplicate = d.duplicate;
    if (d.has_available) {
      out.has_available = true;
      out.available = d.available;
      const CardEntry* c = acc_->cards.find(*pan);
      out.available_currency = c != nullptr ? c->currency : r.currency;
    }
    clear_stale_deltas(d.effect, stale_deltas);
    sink.on_event(sh.scratch);
    return out;
  };

  if (r.mti_class == MtiClass::other) {
    d.rc = ResponseCode::invalid_transaction;
    return finish();
  }
  pan = r.parsed_pan();
  if (!format_ok(r, pan)) {
    d.rc = ResponseCode::format_error;
    return finish();
  }
  d.key = make_txn_key(static_cast<std::uint8_t>(r.mti_class), r.acquirer, r.field7, r.stan);
  d.content = TxnContent{*pan, r.processing_code, r.amount, r.currency, r.amount_numeric};

  // Rule 2 (and 3): the key.
  TxnAnswer stored;
  // claim_key's first turn, here: a new key's claim (nearly every request)
  // pays no call; a found entry reused under us goes round claim_key's loop.
  TxnTable::Result claim =
      txns_.find_or_claim(d.key, d.content, TxnState::pending, r.txn_time_ms, was_staged(sh.staged, d.key));
  if (claim.outcome == TxnTable::Outcome::claimed) {
    if (claim.reused) bump(sh.txn_reused);
  } else if (claim.outcome == TxnTable::Outcome::full) {
    bump(claim.why == TxnTable::FullReason::holds ? sh.txn_full_holds : sh.txn_full_window);
  } else if (!TxnTable::read_answer(*claim.entry, d.key, &stored)) {
    claim = claim_key(sh, d.key, d.content, r.txn_time_ms, &stored);
  }
  if (claim.outcome == TxnTable::Outcome::full) {
    d.rc = ResponseCode::system_unavailable;
    return finish();
  }
  TxnEntry& e = *claim.entry;
  if (claim.outcome == TxnTable::Outcome::found) {
    if (stored.state == TxnState::remembered) {
      TxnState seen = TxnState::remembered;
      if (TxnTable::transition(e, d.key, TxnState::remembered, TxnState::taking, &seen)) {
        // Rule 3: a reversal came first; this original applies nothing.
        d.rc = ResponseCode::do_not_honour;
        d.reason = Reason{Reason::Kind::reversed};
        d.stored = true;
        d.took_remembered = true;
        if (const CardEntry* c = acc_->cards.find(*pan)) {
          d.card = c->card;
        } else {
          d.content.pan = keyed_pan(*pan, cfg_.pan_hash_key);  // what the entry and the log keep
        }
        apply_decision(d, &e);
        return finish();
      }
      // Taken by the same original on another connection (or reused): answer
      // from what the entry holds now.
      if (seen == TxnState::reusing || !TxnTable::read_answer(e, d.key, &stored)) stored.state = TxnState::reusing;
    }
    d.duplicate = true;
    const TxnState state = stored.state;
    if (state == TxnState::taking || state == TxnState::reusing) {
      d.rc = ResponseCode::system_unavailable;  // being decided elsewhere: a retry will find the answer
    } else if (!same_content(stored.content, d.content, cfg_.pan_hash_key)) {
      d.rc = ResponseCode::duplicate_transmission;
    } else if (state == TxnState::pending) {
      d.rc = ResponseCode::system_unavailable;
    } else {  // final, or pinned (final, a reversal under way)
      d.rc = static_cast<ResponseCode>(stored.rc);
      d.reason = decode_reason(stored.reason);
      d.has_approval = stored.has_approval != 0;
      d.approval = stored.approval;
      d.card = stored.card;
      d.has_available = stored.has_available != 0;
      d.available = stored.available;
    }
    return finish();
  }

  ResolvedSlots resolved;
  decide_fresh(shard, r, *pan, d, resolved);
  d.stored = true;
  apply_decision(d, &e, &resolved);
  return finish();
}

// Rules 4 to 11 for a request whose key is new. Fills the decision and what it
// would move; applies nothing.
// Inlined into decide_request, its one caller (GCC's size limit declined to).
[[gnu::always_inline]] inline void Core::decide_fresh(ShardId shard, const AuthRequest& r, Pan pan, DecisionEvent& d, ResolvedSlots& resolved) {
  const bool advice = r.mti_class == MtiClass::advice;
  const CardEntry* card = acc_->cards.find(pan);
  if (card == nullptr) {
    // Rule 4. An advice is always answered 00 (the network already approved);
    // with no card there is nothing to apply it to.
    d.rc = advice ? ResponseCode::approved : ResponseCode::no_such_card;
    // Its PAN is kept hashed (keyed_pan.h): replay has no card to restore it from.
    d.content.pan = keyed_pan(pan, cfg_.pan_hash_key);
    return;
  }
  AS_ASSERT(load_acquire(card->shard) == shard);  // the io layer routes by card
  d.card = card->card;
  const std::uint32_t user_index = card->user;
  const User& user = acc_->users[user_index];
  const unsigned type = r.transaction_type();

  if (!is_debit(type) && !is_inquiry(type) && type != refund_type) {
    d.rc = advice ? ResponseCode::approved : ResponseCode::invalid_transaction;
    return;
  }
  if (!advice) {
    // Rule 5.
    switch (static_cast<CardStatus>(load_acquire(card->status))) {
      case CardStatus::active: break;
      case CardStatus::lost: d.rc = ResponseCode::lost_card; return;
      case CardStatus::stolen: d.rc = ResponseCode::stolen_card; return;
      case CardStatus::blocked: d.rc = ResponseCode::blocked_card; return;
    }
    // Rule 6.
    if (r.txn_time_ms >= expiry_end(card->expiry_yymm) ||
        (r.has(AuthRequest::f14) && r.expiry_yymm != card->expiry_yymm)) {
      d.rc = ResponseCode::expired_card;
      return;
    }
  } else if (r.has(AuthRequest::f49) && r.currency != card->currency && !r.has(AuthRequest::f6)) {
    // Rule 7's currency check for an advice: 00 (the network has approved),
    // applying nothing, as an advice with a bad amount: there is no amount
    // in the card's currency, and field 4 would move the totals and balance
    // by a figure in another currency. Here rather than at rule 7: there it
    // cost every request 14 instructions (callgrind), here 6.
    d.rc = ResponseCode::approved;
    return;
  }
  d.effect.user = user_index;
  // A balance inquiry answers the available balance (field 54), stored with
  // the answer so that a repeat gets the same.
  auto answer_available = [&]() {
    if (!is_inquiry(type) || !user.has_balance) return;
    d.has_available = true;
    d.available = load_acquire(user.balance) - load_acquire(user.open_holds);
  };
  if (is_inquiry(type) && !advice) {  // skips rules 7 to 10
    d.rc = ResponseCode::approved;
    make_approval_code(shard, d.approval);
    d.has_approval = true;
    answer_available();
    return;
  }
  // Rule 7.
  const bool billing = r.has(AuthRequest::f6);
  if (!r.amount_numeric || r.amount <= 0 || (billing && (!r.billing_numeric || r.billing_amount <= 0))) {
    d.rc = advice ? ResponseCode::approved : ResponseCode::invalid_amount;
    return;
  }
  if (!advice && r.has(AuthRequest::f49) && r.currency != card->currency && !billing) {
    d.rc = ResponseCode::do_not_honour;
    return;
  }
  const std::int64_t amount = billing ? r.billing_amount : r.amount;
  if (type == refund_type || is_inquiry(type)) {  // recorded; clearing settles it
    d.rc = ResponseCode::approved;
    make_approval_code(shard, d.approval);
    d.has_approval = true;
    answer_available();
    return;
  }

  const Company* company = user.company != no_index ? &acc_->companies[user.company] : nullptr;
  SlotPool& pool = *acc_->slots;
  // Each slot's period is read once: the check takes its total, and the
  // delta an approval records (period start) is written as the check goes;
  // a decline drops them.
  // Counted in a local: through `d` the count would be read and written
  // again around every atomic load of the loop.
  std::uint8_t deltas = 0;
  // The pool's base and the time in locals too: every acquire load in the
  // loop below made the compiler fetch them again (the pool through two
  // pointers) for each slot.
  LimitSlot* const slots = pool.data();
  const TimeMs t = r.txn_time_ms;
  auto record = [&](LimitOwner owner, std::uint8_t position, TimeMs start, std::uint32_t index) {
    resolved.index[deltas] = index;
    resolved.slot[deltas] = &slots[index];
    d.effect.deltas[deltas++] = SlotDelta{owner, position, start, amount};
  };
  if (!advice) {
    // Rule 8.
    const std::int64_t tmax = load_acquire(user.limits.transaction_max);
    if (tmax != no_limit && amount > tmax) {
      d.rc = ResponseCode::exceeds_limit;
      d.reason = Reason::limit(LimitOwner::user, PeriodKind::transaction);
      return;
    }
    // Rule 9: the user's period limits, then the company's.
    auto over = [&](const LimitSet& set, LimitOwner owner, bool check_transaction) {
      if (check_transaction) {
        const std::int64_t m = load_acquire(set.transaction_max);
        if (m != no_limit && amount > m) {
          d.reason = Reason::limit(owner, PeriodKind::transaction);
          return true;
        }
      }
      const std::uint8_t n = load_acquire(set.slot_count);
      for (std::uint8_t i = 0; i < n; ++i) {
        const std::uint32_t index = load_acquire(set.slots[i]);
        const LimitSlot& s = slots[index];
        const SlotPeriod p = period_at(s, cfg_.zone, t);
        if (p.total + amount > load_acquire(s.max)) {
          d.reason = Reason::limit(owner, unpack_spec(load_acquire(s.spec)).kind);
          return true;
        }
        record(owner, i, p.start, index);
      }
      return false;
    };
    if (over(user.limits, LimitOwner::user, false) ||
        (company != nullptr && over(company->limits, LimitOwner::company, true))) {
      d.rc = ResponseCode::exceeds_limit;
      d.effect.deltas = {};
      d.effect.delta_count = 0;
      return;
    }
    // Rule 10.
    if (user.has_balance && amount > load_acquire(user.balance) - load_acquire(user.open_holds)) {
      d.rc = ResponseCode::insufficient_funds;
      d.effect.deltas = {};
      d.effect.delta_count = 0;
      return;
    }
  } else {
    // An advice is approved whatever the totals: only the deltas.
    auto moves = [&](const LimitSet& set, LimitOwner owner) {
      const std::uint8_t n = load_acquire(set.slot_count);
      for (std::uint8_t i = 0; i < n; ++i) {
        const std::uint32_t index = load_acquire(set.slots[i]);
        record(owner, i, period_start_at(pool[index], cfg_.zone, r.txn_time_ms), index);
      }
    };
    moves(user.limits, LimitOwner::user);
    if (company != nullptr) moves(company->limits, LimitOwner::company);
  }

  // Rule 11 (and an advice, always): approve; record what moves.
  d.effect.delta_count = deltas;
  d.rc = ResponseCode::approved;
  make_approval_code(shard, d.approval);
  d.has_approval = true;
  d.effect_amount = amount;
  if (r.mti_class == MtiClass::financial) {
    d.effect_kind = EffectKind::posted;
    d.effect.balance_delta = user.has_balance ? -amount : 0;
  } else {
    d.effect_kind = EffectKind::hold;
    d.effect.hold_delta = amount;
  }
}

}  // namespace authswitch::core
