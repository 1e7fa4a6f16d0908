// The stream of authorizations the log benchmarks feed a live core: random
// demo cards (xorshift, a fixed seed, so every run decides the same
// requests), 1 to 5,000 minor units, unique keys, 10 ms apart.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/demo_data.h"
#include "core/request.h"
#include "core/time_ms.h"

namespace authswitch::bench {

class RandomRequests {
 public:
  explicit RandomRequests(std::size_t cards) : cards_(cards) {}

  // The i-th request (call with i = 0, 1, 2, ...).
  [[nodiscard]] core::AuthRequest next(std::size_t i) {
    rng_ ^= rng_ << 13, rng_ ^= rng_ >> 7, rng_ ^= rng_ << 17;
    core::AuthRequest r;
    r.mti_class = core::MtiClass::authorization;
    r.set_pan(core::demo_pan(rng_ % cards_));
    r.amount = 1 + static_cast<std::int64_t>(rng_ >> 40) % 5000;
    r.currency = 392;
    r.field7 = 1123030000;
    r.stan = static_cast<std::uint32_t>(i % 1'000'000);
    r.acquirer = 100000 + i / 1'000'000;
    r.txn_time_ms = now_ += 10;
    r.present |= core::AuthRequest::f3 | core::AuthRequest::f4 | core::AuthRequest::f7 | core::AuthRequest::f11 |
                 core::AuthRequest::f32 | core::AuthRequest::f49;
    return r;
  }

 private:
  std::size_t cards_;
  std::uint64_t rng_ = 88172645463325252ull;
  core::TimeMs now_ = 1795402800000;
};

}  // namespace authswitch::bench
