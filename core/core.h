// The decision core: SPEC 2 (flows), 3 (rules), 4 (limits), 5 (accounts).
//
// Threads and ownership (single writer per shard):
//   - Every company (with its users and their cards) and every company-less
//     user belongs to one shard. The io layer routes each request by card
//     (`route`) to that shard's authorization thread; only that thread calls
//     `authorize`, `adjust_balance`, `set_limits` and `expire_holds` for the
//     shard. So an approval moves several totals and a balance together with
//     no lock, and two requests can never both pass a limit only one fits.
//   - `set_card_status` may run on any thread (an atomic store: effective
//     for the next request).
//   - `add_card` and the id lookups belong to one control thread (the HTTP
//     API), serialised by the caller.
//   - Readers (`read_user`, `read_company`) run on any thread, lock-free, and
//     never see a partial application (seqlocks).
//   - `apply` (replay) runs before the shard threads start.
//
// The hot path (`authorize`) allocates nothing and locks nothing.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/accounts.h"
#include "core/events.h"
#include "core/keyed_pan.h"
#include "core/request.h"
#include "core/txn_table.h"
#include "core/zone.h"

namespace authswitch::core {

using ShardId = std::uint16_t;

struct CoreConfig {
  Zone zone;
  std::uint16_t shards = 1;
  std::size_t txn_capacity = constants::txn_table_capacity_default;  // a power of two
  // Transaction-table retention (txn_table.h).
  std::uint32_t hold_days = constants::hold_days_default;
  TimeMs duplicate_window_ms = constants::txn_duplicate_window_ms;
  // Keys the hash kept instead of the PAN of a request on an unknown card
  // (keyed_pan.h). The switch derives it from its PAN key; all zero only in
  // tests.
  PanHashKey pan_hash_key{};
};

// Transaction-table counters since start (any thread; the switch exports them).
struct TxnStats {
  std::uint64_t reused = 0;       // claims that took an expired entry's slot
  std::uint64_t full_window = 0;  // 91: every slot of the key's window inside the duplicate window (or pending)
  std::uint64_t full_holds = 0;   // 91: the rest were open holds / remembered reversals younger than hold_days
  [[nodiscard]] std::uint64_t full() const noexcept { return full_window + full_holds; }
};

// One period as the HTTP API shows it (SPEC 6).
struct PeriodView {
  TimeMs start = 0, end = 0;
  std::int64_t total = 0;
};
struct LimitView {
  Limit limit;
  PeriodView current, next;  // unset for `transaction`
};
struct OwnerView {
  std::uint8_t limit_count = 0;
  std::array<LimitView, constants::limits_per_owner_max> limits{};
  bool has_balance = false;
  std::int64_t balance = 0, open_holds = 0;
  std::uint32_t company = no_index;  // users only
};

enum class OpStatus : std::uint8_t {
  ok,
  replayed,       // same Idempotency-Key, same body: answered as the first time
  conflict,       // same Idempotency-Key, different body (422)
  not_found,      // unknown user, company or card (404)
  invalid,        // bad limits, ids, ... (400)
  no_balance,     // top-up of a user without a balance (400)
  full,           // a preallocated table is full (503, retryable later)
  duplicate,      // card id or PAN exists (409)
  out_of_range,   // a balance would leave the int64 range of minor units (400)
};

struct BalanceResult {
  OpStatus status = OpStatus::ok;
  std::int64_t balance_after = 0;
};

// A card as the API adds it (SPEC 5's record without `type`).
struct NewCard {
  std::string_view id;
  Pan pan;
  std::uint32_t user = no_index;
  std::uint16_t expiry_yymm = 0;
  CardStatus status = CardStatus::active;
  std::uint16_t currency = 0;
};

class Core {
 public:
  Core(std::unique_ptr<Accounts> accounts, CoreConfig config);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // ---- routing and hints (any thread) ----
  // The shard that owns the request's card; for an unknown card any shard
  // will do (it answers 14), so one is picked from the PAN.
  [[nodiscard]] ShardId route(const AuthRequest& r) const noexcept;
  // Prefetching for a batch: the authorization thread issues stage `index`
  // for a request a few requests ahead, stage `user` for one a little closer
  // and stage `limits` for the next one; each stage reads only lines the
  // previous stage brought in, so the misses of several requests overlap
  // instead of following each other. Hints only: never required.
  enum class PrefetchStage : std::uint8_t { index, user, limits };
  void prefetch(const AuthRequest& r, PrefetchStage stage) const noexcept;

  // ---- hot path (the shard's thread) ----
  [[nodiscard]] AuthResponse authorize(ShardId shard, const AuthRequest& r, EventSink& sink);

  // ---- operator operations ----
  // Shard thread of `user`. Same key and body hash as before: replayed with
  // the first answer; different body: conflict.
  [[nodiscard]] BalanceResult adjust_balance(ShardId shard, std::uint32_t user, std::int64_t amount,
                                             std::string_view idempotency_key, std::uint64_t body_hash,
                                             EventSink& sink);
  // Shard thread of the owner. Keeps the totals of the limits it changes,
  // their anchors and reset times included (install_limits).
  [[nodiscard]] OpStatus set_limits(ShardId shard, LimitOwner owner, std::uint32_t index, const LimitList& limits,
                                    EventSink& sink, std::string* error);
  // Any thread.
  [[nodiscard]] OpStatus set_card_status(std::uint32_t card, CardStatus status, EventSink& sink);
  // Control thread.
  [[nodiscard]] OpStatus add_card(const NewCard& card, EventSink& sink, std::uint32_t* index_out = nullptr);
  // Shard thread: releases holds placed before `now - hold_ms` and not
  // reversed (SPEC 8); returns how many.
  std::size_t expire_holds(ShardId shard, TimeMs now, TimeMs hold_ms, EventSink& sink);
  // The same, one slice of the table at a time: from `sweep.next`, at most
  // `max_entries` entries and `max_events` expiries; `sweep.next` is where
  // the next slice begins, 0 once the walk has reached the table's end.
  struct HoldSweep {
    std::size_t next = 0;
  };
  std::size_t expire_holds_step(ShardId shard, TimeMs now, TimeMs hold_ms, EventSink& sink, HoldSweep& sweep,
                                std::size_t max_entries, std::size_t max_events);

  // ---- replay (before the shard threads run) ----
  void apply(const Event& e);

  // ---- snapshots (core_snapshot.cpp; quiescent: before the shard threads run or after they stop) ----
  // Everything events changed beyond the accounts file and the cards added
  // (the ledger keeps those, PANs encrypted). No full PAN: a stored request's
  // PAN is kept masked with the card it resolves to, and restored from it; an
  // unknown card's is already a keyed hash in the entry (keyed_pan.h), kept as is.
  void save_state(std::vector<std::byte>& out) const;
  // Into a core built from the same accounts with the same cards added; false
  // with the reason in *error when the state does not fit it.
  [[nodiscard]] bool load_state(std::span<const std::byte> in, std::string* error);

  // ---- reading (any thread) ----
  // Periods are presented as of `now` (a stored window the clock has moved
  // past shows the period holding `now`, total 0).
  [[nodiscard]] OwnerView read_user(std::uint32_t user, TimeMs now) const;
  [[nodiscard]] OwnerView read_company(std::uint32_t company, TimeMs now) const;
  // A user and its company as of one instant (both or neither of any approval).
  void read_user_and_company(std::uint32_t user, OwnerView* u, OwnerView* c) const;
  [[nodiscard]] std::int64_t available_balance(std::uint32_t user) const;
  // The latest transaction time a request was decided at, live or replayed
  // (after a snapshot: the latest its transaction table holds); nullopt
  // before any. SPEC 4's current period holds it: with "clock": "message"
  // the API presents periods as of this, not the system clock.
  [[nodiscard]] std::optional<TimeMs> latest_transaction_time() const noexcept;

  // ---- lookups (control thread) ----
  [[nodiscard]] std::uint32_t find_user(std::string_view id) const noexcept { return acc_->user_ids.find(id); }
  [[nodiscard]] std::uint32_t find_company(std::string_view id) const noexcept {
    return acc_->company_ids.find(id);
  }
  [[nodiscard]] std::uint32_t find_card(std::string_view id) const noexcept { return acc_->card_ids.find(id); }
  [[nodiscard]] const CardEntry* find_card_by_pan(Pan pan) const noexcept { return acc_->cards.find(pan); }
  [[nodiscard]] ShardId shard_of_user(std::uint32_t user) const noexcept { return acc_->users[user].shard; }
  [[nodiscard]] ShardId shard_of_company(std::uint32_t c) const noexcept { return acc_->companies[c].shard; }

  [[nodiscard]] const Accounts& accounts() const noexcept { return *acc_; }
  [[nodiscard]] const CoreConfig& config() const noexcept { return cfg_; }
  [[nodiscard]] const TxnTable& transactions() const noexcept { return txns_; }
  [[nodiscard]] std::uint64_t approvals_issued(ShardId shard) const noexcept;
  [[nodiscard]] TxnStats txn_stats() const noexcept;

  // Every piece of state, one line each, in a canonical order: two cores that
  // went through the same events print the same text (replay tests).
  [[nodiscard]] std::string dump_state() const;

 private:
  struct IdempotencyRecord {
    std::uint64_t body_hash;
    std::int64_t balance_after;
  };
  struct alignas(constants::cache_line_bytes) Shard {
    std::uint64_t approvals = 0;  // next approval counter
    // The base-1,296 digits of the code for approval number `code_approvals`
    // (make_approval_code); stale when that is not `approvals`.
    std::uint64_t code_approvals = ~0ull;
    std::array<std::uint16_t, 3> code_digits{};
    // Transaction-table counters (written by the shard's thread, read anywhere).
    std::uint64_t txn_reused = 0, txn_full_window = 0, txn_full_holds = 0;
    Event scratch;                // the event being built (no allocation per decision)
    // The keys whose body prefetch_body fetched (stage `user`), by
    // staged_slot(): the claim then skips its own early body prefetches.
    // A hint: written and read with relaxed atomics (see Core::prefetch).
    std::array<TxnKey, 32> staged{};
    std::unordered_map<std::string, IdempotencyRecord> idempotency;
    // Written by the shard's thread only (replay: shard 0's, before the
    // threads run); read by any (latest_transaction_time).
    std::atomic<TimeMs> latest_txn_time{time_ms_min};
  };
  static void note_txn_time(Shard& sh, TimeMs t) noexcept {
    if (t > sh.latest_txn_time.load(std::memory_order_relaxed)) {
      sh.latest_txn_time.store(t, std::memory_order_relaxed);
    }
  }

  AuthResponse decide_request(Shard& sh, ShardId shard, const AuthRequest& r, EventSink& sink);
  AuthResponse decide_reversal(Shard& sh, ShardId shard, const AuthRequest& r, EventSink& sink);
  // The slots of the deltas a decision recorded, as it found them (pool
  // index and address): the live apply takes them from here instead of
  // looking the positions up again (replay looks them up).
  struct ResolvedSlots {
    std::array<std::uint32_t, constants::slots_per_decision_max> index;
    std::array<LimitSlot*, constants::slots_per_decision_max> slot;
  };
  // Inline, defined in core.cpp (decide_fresh) and core_apply.cpp (the two
  // apply helpers), their only callers: the hot path pays no call for them.
  inline void decide_fresh(ShardId shard, const AuthRequest& r, Pan pan, DecisionEvent& d, ResolvedSlots& resolved);
  // Finds or claims `key` for shard `sh` (counting reuses and full windows);
  // a found entry's answer is copied into *answer (never a half-reused one).
  TxnTable::Result claim_key(Shard& sh, const TxnKey& key, const TxnContent& content, TimeMs now,
                             TxnAnswer* answer);
  void make_approval_code(ShardId shard, std::array<char, 6>& out);
  void note_approval_code(const std::array<char, 6>& code);

  // `entry` null: replay (finds or claims the key); `resolved` null: the
  // slots are looked up from the deltas' positions.
  void apply_decision(const DecisionEvent& d, TxnEntry* entry, const ResolvedSlots* resolved = nullptr);
  void apply_reversal(const ReversalEvent& d, TxnEntry* entry);
  void apply_effect(const Effect& e, TimeMs txn_time, bool add);
  void resolve_slots(const Effect& e, const User& u, const Company* c, LimitSlot** out) const;
  inline void apply_effect_to(const Effect& e, User& u, Company* c, LimitSlot* const* slots, TimeMs txn_time,
                              bool add);
  static inline void store_answer(TxnEntry& e, const TxnContent* content, ResponseCode rc, Reason reason,
                                  MtiClass cls, const std::array<char, 6>* approval);
  static void store_content(TxnEntry& e, const TxnContent& content);
  void apply_limits(LimitOwner owner, std::uint32_t index, const LimitList& limits);
  void apply_card_added(const CardAddedEvent& e);
  [[nodiscard]] OwnerView read_owner(const LimitSet& set, TimeMs now) const;
  [[nodiscard]] TimeMs expiry_end(std::uint16_t yymm) const noexcept;

  std::unique_ptr<Accounts> acc_;
  CoreConfig cfg_;
  TxnTable txns_;
  std::unique_ptr<Shard[]> shards_;
  // End (exclusive) of each expiry month YYMM, 2000-2099, in the zone: a card
  // "2912" is good until 2030-01-01T00:00 local. Computed once. Indexed by
  // YYMM itself (10,000 entries, 80 KiB, of which the months in use are read):
  // splitting YYMM into year and month cost two divisions every decision.
  std::vector<TimeMs> expiry_end_;
};

}  // namespace authswitch::core
