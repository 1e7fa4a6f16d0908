// The core the log benchmarks decide with and replay into: demo accounts
// from text, Asia/Tokyo, one shard (the benchmarks drive it from one thread).
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/accounts_loader.h"
#include "core/core.h"
#include "core/zone.h"

namespace authswitch::bench {

// `txn_capacity` 0 keeps the core's default table size. A bad data set ends
// the benchmark: there is nothing to measure.
inline std::unique_ptr<core::Core> make_demo_core(const std::string& text, std::size_t txn_capacity = 0) {
  core::LoadResult loaded = core::load_accounts_text(text, "demo");
  if (!loaded.accounts) {
    std::fprintf(stderr, "%s\n", loaded.error.c_str());
    std::exit(1);
  }
  std::string err;
  core::CoreConfig cfg;
  cfg.zone = *core::Zone::parse("Asia/Tokyo", &err);
  cfg.shards = 1;
  if (txn_capacity != 0) cfg.txn_capacity = txn_capacity;
  return std::make_unique<core::Core>(std::move(loaded.accounts), cfg);
}

}  // namespace authswitch::bench
