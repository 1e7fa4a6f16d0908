// Reading state from any thread (HTTP API, metrics, tests) and dumping it.
#include <algorithm>
#include <cstdio>
#include <vector>

#include "core/core.h"

namespace authswitch::core {

namespace {

// A slot's two periods as of `now`: when the clock has passed the stored
// window, the periods shown are the ones holding `now` (the window slides on
// the next approval; until then nothing counted in them).
void present(const SlotView& v, const Zone& zone, TimeMs now, LimitView* out) {
  const bool used = v.next_end != time_ms_min;
  if (used && now < v.current_end) {
    out->current = {v.current_start, v.current_end, v.current_total};
    out->next = {v.current_end, v.next_end, v.next_total};
  } else if (used && now < v.next_end) {
    const PeriodWindow w = period_window(v.spec, zone, now);
    out->current = {v.current_end, v.next_end, v.next_total};
    out->next = {v.next_end, w.next_end, 0};
  } else {
    const PeriodWindow w = period_window(v.spec, zone, now);
    out->current = {w.start, w.end, 0};
    out->next = {w.end, w.next_end, 0};
  }
}

// Every period limit of an owner copied raw (read_owner at time_ms_min), as
// of `now`; outside the seqlock, since period_window may be slow.
void present_all(const Zone& zone, TimeMs now, OwnerView& v) {
  if (now == time_ms_min) return;
  for (std::size_t i = 0; i < v.limit_count; ++i) {
    LimitView& lv = v.limits[i];
    if (lv.limit.spec.kind == PeriodKind::transaction) continue;
    const SlotView s{lv.limit.spec, lv.limit.max, lv.current.start, lv.current.end, lv.next.end,
                     lv.current.total, lv.next.total};
    present(s, zone, now, &lv);
  }
}

}  // namespace

OwnerView Core::read_owner(const LimitSet& set, TimeMs now) const {
  OwnerView v;
  const std::int64_t tmax = load_acquire(set.transaction_max);
  if (tmax != no_limit) v.limits[v.limit_count++].limit = Limit{LimitSpec{PeriodKind::transaction, 1, 1, 0}, tmax};
  const std::uint8_t n = load_acquire(set.slot_count);
  for (std::size_t i = 0; i < n && i < constants::period_limits_per_owner_max; ++i) {
    const SlotView s = read_slot((*acc_->slots)[load_acquire(set.slots[i])]);
    LimitView& lv = v.limits[v.limit_count++];
    lv.limit = Limit{s.spec, s.max};
    // The zone is only needed for stale windows; raw values are kept when
    // now is not given (time_ms_min).
    if (now == time_ms_min) {
      lv.current = {s.current_start, s.current_end, s.current_total};
      lv.next = {s.current_end, s.next_end, s.next_total};
    } else {
      present(s, cfg_.zone, now, &lv);
    }
  }
  return v;
}

std::optional<TimeMs> Core::latest_transaction_time() const noexcept {
  TimeMs latest = time_ms_min;
  for (std::size_t s = 0; s < cfg_.shards; ++s) {
    const TimeMs t = shards_[s].latest_txn_time.load(std::memory_order_relaxed);
    if (t > latest) latest = t;
  }
  return latest == time_ms_min ? std::nullopt : std::optional<TimeMs>(latest);
}

OwnerView Core::read_user(std::uint32_t user, TimeMs now) const {
  const User& u = acc_->users[user];
  OwnerView v;
  // Copy under the seqlock, present afterwards (period_window may be slow).
  while (true) {
    const std::uint32_t b = seq_read_begin(u.seq);
    v = read_owner(u.limits, time_ms_min);
    v.has_balance = u.has_balance;
    v.balance = load_acquire(u.balance);
    v.open_holds = load_acquire(u.open_holds);
    v.company = u.company;
    if (!seq_read_retry(u.seq, b)) break;
  }
  present_all(cfg_.zone, now, v);
  return v;
}

OwnerView Core::read_company(std::uint32_t company, TimeMs now) const {
  const Company& c = acc_->companies[company];
  OwnerView v;
  while (true) {
    const std::uint32_t b = seq_read_begin(c.seq);
    v = read_owner(c.limits, time_ms_min);
    if (!seq_read_retry(c.seq, b)) break;
  }
  present_all(cfg_.zone, now, v);
  return v;
}

void Core::read_user_and_company(std::uint32_t user, OwnerView* uv, OwnerView* cv) const {
  const User& u = acc_->users[user];
  const Company* c = u.company != no_index ? &acc_->companies[u.company] : nullptr;
  while (true) {
    const std::uint32_t bu = seq_read_begin(u.seq);
    const std::uint32_t bc = c != nullptr ? seq_read_begin(c->seq) : 0;
    *uv = read_owner(u.limits, time_ms_min);
    uv->has_balance = u.has_balance;
    uv->balance = load_acquire(u.balance);
    uv->open_holds = load_acquire(u.open_holds);
    uv->company = u.company;
    if (c != nullptr) *cv = read_owner(c->limits, time_ms_min);
    const bool retry_u = seq_read_retry(u.seq, bu);
    const bool retry_c = c != nullptr && seq_read_retry(c->seq, bc);
    if (!retry_u && !retry_c) return;
  }
}

std::int64_t Core::available_balance(std::uint32_t user) const {
  const User& u = acc_->users[user];
  while (true) {
    const std::uint32_t b = seq_read_begin(u.seq);
    const std::int64_t a = load_acquire(u.balance) - load_acquire(u.open_holds);
    if (!seq_read_retry(u.seq, b)) return a;
  }
}

std::string Core::dump_state() const {
  std::string out;
  char line[512];
  auto owner = [&](const char* kind, std::size_t i, const OwnerView& v) {
    std::snprintf(line, sizeof line, "%s %zu balance=%d:%lld holds=%lld company=%u\n", kind, i, v.has_balance ? 1 : 0,
                  static_cast<long long>(v.balance), static_cast<long long>(v.open_holds), v.company);
    out += line;
    for (std::size_t j = 0; j < v.limit_count; ++j) {
      const LimitView& l = v.limits[j];
      std::snprintf(line, sizeof line, "  limit kind=%d wd=%d day=%d reset=%d max=%lld cur=[%lld,%lld)=%lld next_end=%lld next=%lld\n",
                    static_cast<int>(l.limit.spec.kind), l.limit.spec.anchor_weekday, l.limit.spec.anchor_day,
                    l.limit.spec.reset_minutes, static_cast<long long>(l.limit.max),
                    static_cast<long long>(l.current.start), static_cast<long long>(l.current.end),
                    static_cast<long long>(l.current.total), static_cast<long long>(l.next.end),
                    static_cast<long long>(l.next.total));
      out += line;
    }
  };
  for (std::size_t c = 0; c < acc_->companies.size(); ++c) owner("company", c, read_company(static_cast<std::uint32_t>(c), time_ms_min));
  for (std::size_t u = 0; u < acc_->users.size(); ++u) owner("user", u, read_user(static_cast<std::uint32_t>(u), time_ms_min));
  for (std::size_t c = 0; c < acc_->card_pans.size(); ++c) {
    const CardEntry* e = acc_->cards.find(acc_->card_pans[c]);
    std::snprintf(line, sizeof line, "card %zu id=%.*s pan=%s status=%d user=%u exp=%u cur=%u\n", c,
                  static_cast<int>(acc_->card_ids.name(static_cast<std::uint32_t>(c)).size()),
                  acc_->card_ids.name(static_cast<std::uint32_t>(c)).data(), mask_pan(acc_->card_pans[c]).c_str(),
                  e != nullptr ? load_acquire(e->status) : -1, e != nullptr ? e->user : 0u,
                  e != nullptr ? e->expiry_yymm : 0u, e != nullptr ? e->currency : 0u);
    out += line;
  }
  // A hashed PAN (an unknown card's, keyed_pan.h) as its hash: no digits to mask.
  auto shown_pan = [](Pan p) {
    if (!is_keyed(p)) return mask_pan(p);
    char hex[24];
    std::snprintf(hex, sizeof hex, "#%016llx", static_cast<unsigned long long>(p.value));
    return std::string(hex);
  };
  std::vector<std::string> txns;
  for (std::size_t i = 0; i < txns_.capacity(); ++i) {
    const TxnEntry& e = txns_.entries()[i];
    if (load_acquire(e.key_hi) == 0) continue;
    int n = std::snprintf(line, sizeof line,
                          "txn %016llx:%016llx state=%u rc=%u reason=%u cls=%u appr=%.*s pan=%s/%u pc=%u amt=%lld/%u cur=%u card=%u user=%u t=%lld eff=%u/%lld rem=%lld rev=%u av=%u:%lld slots=",
                          static_cast<unsigned long long>(e.key_hi), static_cast<unsigned long long>(e.key_lo),
                          load_acquire(e.state), e.rc, e.reason, e.mti_class, e.has_approval ? 6 : 0,
                          e.approval.data(), shown_pan(Pan{e.pan, e.pan_digits}).c_str(), e.pan_digits,
                          e.processing_code, static_cast<long long>(e.amount), e.amount_numeric, e.currency, e.card,
                          e.user, static_cast<long long>(e.txn_time), e.effect_kind,
                          static_cast<long long>(e.effect_amount), static_cast<long long>(load_acquire(e.remaining)),
                          load_acquire(e.reversed), e.has_available, static_cast<long long>(e.available()));
    std::string s(line, static_cast<std::size_t>(n));
    for (std::size_t k = 0; k < e.slot_count; ++k) {
      s += std::to_string(e.slots[k]) + "@" + std::to_string(e.period_starts[k]) + ",";
    }
    txns.push_back(std::move(s));
  }
  std::sort(txns.begin(), txns.end());
  for (const std::string& s : txns) out += s + "\n";
  for (std::size_t s = 0; s < cfg_.shards; ++s) {
    out += "shard " + std::to_string(s) + " approvals=" + std::to_string(shards_[s].approvals) + "\n";
    std::vector<std::string> keys;
    for (const auto& [k, v] : shards_[s].idempotency) {
      keys.push_back("  idem " + k + " hash=" + std::to_string(v.body_hash) + " after=" + std::to_string(v.balance_after));
    }
    std::sort(keys.begin(), keys.end());
    for (const std::string& k : keys) out += k + "\n";
  }
  return out;
}

}  // namespace authswitch::core
