// Helpers shared by the core tests: a core built from NDJSON text, requests
// built field by field, an event sink that keeps what it is given.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/accounts_loader.h"
#include "core/core.h"

namespace authswitch::core::testing {

// 2026-11-23T03:00:00Z = 12:00 in Tokyo.
inline constexpr TimeMs t_noon_tokyo = 1795402800000;

inline std::unique_ptr<Core> make_core(std::string_view ndjson, std::string_view zone = "Asia/Tokyo",
                                       std::uint16_t shards = 1, std::size_t txn_capacity = 1u << 12) {
  LoadResult loaded = load_accounts_text(ndjson, "test.ndjson");
  EXPECT_TRUE(loaded.accounts) << loaded.error;
  if (!loaded.accounts) return nullptr;
  std::string err;
  auto z = Zone::parse(zone, &err);
  EXPECT_TRUE(z) << err;
  CoreConfig cfg;
  cfg.zone = *z;
  cfg.shards = shards;
  cfg.txn_capacity = txn_capacity;
  return std::make_unique<Core>(std::move(loaded.accounts), cfg);
}

// A complete 0100 for `pan`, `amount` JPY (392), key (acquirer 123456, STAN
// `stan`, field 7 1123030000).
inline AuthRequest request(std::string_view pan, std::int64_t amount, std::uint32_t stan,
                           MtiClass cls = MtiClass::authorization, TimeMs t = t_noon_tokyo) {
  AuthRequest r;
  r.mti_class = cls;
  r.set_pan(pan);
  r.processing_code = 0;
  r.amount = amount;
  r.currency = 392;
  r.field7 = 1123030000;
  r.stan = stan;
  r.acquirer = 123456;
  r.txn_time_ms = t;
  r.present |= AuthRequest::f3 | AuthRequest::f4 | AuthRequest::f7 | AuthRequest::f11 | AuthRequest::f32 |
               AuthRequest::f49;
  return r;
}

// A reversal of `original` (field 90 pointing at it), with its own STAN.
inline AuthRequest reversal_of(const AuthRequest& original, std::uint32_t stan,
                               MtiClass cls = MtiClass::reversal) {
  AuthRequest r = original;
  r.mti_class = cls;
  r.stan = stan;
  r.present |= AuthRequest::f90;
  r.original.mti = original.mti_class == MtiClass::financial ? 200 : original.mti_class == MtiClass::advice ? 120 : 100;
  r.original.stan = original.stan;
  r.original.field7 = original.field7;
  r.original.acquirer = original.acquirer;
  return r;
}

class RecordingSink final : public EventSink {
 public:
  void on_event(const Event& e) override { events.push_back(e); }
  std::vector<Event> events;
};

inline std::string rc(const AuthResponse& r) { return std::string(response_code_text(r.rc)); }
inline std::string reason(const AuthResponse& r) { return std::string(reason_text(r.reason)); }

}  // namespace authswitch::core::testing
