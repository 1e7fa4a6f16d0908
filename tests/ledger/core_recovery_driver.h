// A seeded random run of core operations (authorizations, advices, refunds,
// inquiries, duplicates, reversals, top-ups, limit changes, card status
// changes, cards added, hold expiries), one operation per step(), for the
// recovery, snapshot and crash tests. The same seed gives the same operations
// and, on a core built from the same accounts, the same events.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "ledger/core_recovery.h"
#include "ledger/pan_cipher.h"
#include "tests/core/accounts_text.h"
#include "tests/core/core_fixture.h"

namespace authswitch::ledger::testing {

using namespace authswitch::core;
using namespace authswitch::core::testing;

inline constexpr std::uint16_t driver_shards = 2;
inline constexpr std::size_t driver_txn_capacity = 1u << 12;

inline std::unique_ptr<Core> driver_core() {
  return make_core(rules_accounts, "America/New_York", driver_shards, driver_txn_capacity);
}

class OpDriver {
 public:
  explicit OpDriver(std::uint64_t seed) : rng_(seed) {}

  // One operation on `core`, its events into `sink`.
  void step(Core& core, EventSink& sink) {
    static constexpr const char* pans[] = {pan_c1, pan_lost, pan_blocked, pan_expired, pan_c2,
                                           pan_c3, pan_nov,  pan_usd,     pan_unknown};
    now_ += static_cast<TimeMs>(rng_() % (9 * 3'600'000)) - 1'800'000;
    const unsigned op = static_cast<unsigned>(rng_() % 100);
    if (op < 50) {
      std::string pan_text = pans[rng_() % std::size(pans)];
      if (!added_pans_.empty() && rng_() % 10 == 0) pan_text = added_pans_[rng_() % added_pans_.size()];
      AuthRequest r = request(pan_text, 1 + static_cast<std::int64_t>(rng_() % 120000), stan_++,
                              MtiClass::authorization, now_);
      const unsigned kind = static_cast<unsigned>(rng_() % 10);
      if (kind == 0) r.mti_class = MtiClass::financial;
      if (kind == 1) r.mti_class = MtiClass::advice;
      if (kind == 2) r.processing_code = 200000;
      if (kind == 3) {
        r.processing_code = 300000;
        r.amount = 0;
      }
      if (kind == 4) r.field7 += 1;
      (void)core.authorize(core.route(r), r, sink);
      originals_.push_back(r);
    } else if (op < 60 && !originals_.empty()) {
      AuthRequest r = originals_[rng_() % originals_.size()];
      r.repeat = true;
      if (rng_() % 3 == 0) r.amount += 1;
      (void)core.authorize(core.route(r), r, sink);
    } else if (op < 75) {
      AuthRequest orig = !originals_.empty() && rng_() % 4 != 0
                             ? originals_[rng_() % originals_.size()]
                             : request(pans[rng_() % 7], 5000, stan_ + 5, MtiClass::authorization, now_);
      AuthRequest rev = reversal_of(orig, stan_++, rng_() % 3 == 0 ? MtiClass::reversal_advice : MtiClass::reversal);
      rev.txn_time_ms = now_;
      if (rng_() % 3 == 0) {
        rev.present |= AuthRequest::f95;
        rev.actual_amount = static_cast<std::int64_t>(rng_() % 5000);
      }
      (void)core.authorize(core.route(rev), rev, sink);
    } else if (op < 82) {
      const auto user = static_cast<std::uint32_t>(rng_() % 3);
      const std::string key = "k" + std::to_string(rng_() % 20);
      const std::int64_t amount = static_cast<std::int64_t>(rng_() % 20000) - 5000;
      (void)core.adjust_balance(core.shard_of_user(user), user, amount, key,
                                static_cast<std::uint64_t>(amount) * 31 + user, sink);
    } else if (op < 88) {
      LimitList l;
      const LimitSpec specs[] = {{PeriodKind::daily, 1, 1, 0}, {PeriodKind::weekly, 3, 1, 120},
                                 {PeriodKind::monthly, 1, anchor_day_last, 0}, {PeriodKind::total, 1, 1, 0},
                                 {PeriodKind::monthly, 1, 20, 0}};
      const unsigned n = static_cast<unsigned>(rng_() % 4);
      for (unsigned i = 0; i < n; ++i) {
        l.items[l.count++] = Limit{specs[(i + rng_()) % 5], static_cast<std::int64_t>(rng_() % 400000)};
      }
      if (!validate_limit_list(l).empty()) return;
      if (rng_() % 2 == 0) {
        const auto user = static_cast<std::uint32_t>(rng_() % 3);
        (void)core.set_limits(core.shard_of_user(user), LimitOwner::user, user, l, sink, nullptr);
      } else {
        (void)core.set_limits(core.shard_of_company(0), LimitOwner::company, 0, l, sink, nullptr);
      }
    } else if (op < 92) {
      const auto card = static_cast<std::uint32_t>(rng_() % 9);
      (void)core.set_card_status(card, static_cast<CardStatus>(rng_() % 2 == 0 ? 0 : rng_() % 4), sink);
    } else if (op < 95) {
      const std::string pan = "55000000000" + std::to_string(10000 + added_pans_.size());
      const std::string id = "added" + std::to_string(added_pans_.size());
      NewCard c{id, *parse_pan(pan), static_cast<std::uint32_t>(rng_() % 3), 3012, CardStatus::active, 392};
      if (core.add_card(c, sink) == OpStatus::ok) added_pans_.push_back(pan);
    } else {
      for (ShardId s = 0; s < driver_shards; ++s) (void)core.expire_holds(s, now_, 3 * ms_per_day, sink);
    }
  }

 private:
  std::mt19937_64 rng_;
  TimeMs now_ = t_noon_tokyo;
  std::uint32_t stan_ = 1;
  std::vector<AuthRequest> originals_;
  std::vector<std::string> added_pans_;
};

// What `ops` steps of OpDriver(seed) emit on a model core: the events of
// each operation, in order, for the crash tests to compare a recovered core
// with.
struct ExpectedEvents {
  std::vector<Event> events;
  std::vector<std::size_t> events_after;  // events_after[i]: events of ops 0..i
};

inline ExpectedEvents expected_events(std::uint64_t seed, std::uint32_t ops) {
  ExpectedEvents x;
  auto gen = driver_core();
  RecordingSink sink;
  OpDriver driver(seed);
  for (std::uint32_t op = 0; op < ops; ++op) {
    driver.step(*gen, sink);
    x.events_after.push_back(sink.events.size());
  }
  x.events = std::move(sink.events);
  return x;
}

inline PanKey driver_key() {
  PanKey k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<unsigned char>(0xA0 + i);
  return k;
}

// A fresh driver core recovered from `dir` with the driver's key, and what
// recovery said on stderr (a refused snapshot is named there).
struct Recovered {
  std::unique_ptr<Core> core;
  CoreRecoveryResult result;
  Status status;
  std::string err;
};

inline Recovered recover_driver_core(const std::string& dir) {
  Recovered r;
  const PanCipher cipher(driver_key());
  r.core = driver_core();
  ::testing::internal::CaptureStderr();
  r.status = recover_core(dir, *r.core, &cipher, r.result);
  r.err = ::testing::internal::GetCapturedStderr();
  return r;
}

}  // namespace authswitch::ledger::testing
