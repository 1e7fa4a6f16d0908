// Accounts load speed (SPEC 5, 14: >= 1,000,000 cards/s; "ten million cards
// load in seconds").
//
// The demo data set (core/demo_data.h) is written to a file first (once per
// card count; reused by later runs), then load_accounts_file() reads and
// builds it, as `serve` does at start-up. Reported: wall time ("Time"),
// process CPU time ("CPU": simdjson's stage-1 worker thread included) and
// cards/s of each.
//
//   AUTHSWITCH_BENCH_CARDS=N   card count (default 1,000,000; 10,000,000 for
//                              the "ten million" figure; ~1.5 GB of text)
//   AUTHSWITCH_BENCH_DIR=D     where the file goes (default /tmp)
//
// Run: bench_load --benchmark_repetitions=5 (each repetition is one load).
#include <benchmark/benchmark.h>

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/accounts_loader.h"
#include "core/demo_data.h"

namespace authswitch::core {
namespace {

std::size_t card_count() {
  const char* env = std::getenv("AUTHSWITCH_BENCH_CARDS");
  return env != nullptr ? static_cast<std::size_t>(std::strtoull(env, nullptr, 10)) : 1'000'000;
}

// Written under a temporary name and renamed, so a run killed half way never
// leaves a truncated file for the next run to reuse.
const std::string& accounts_path() {
  static const std::string path = [] {
    const char* dir = std::getenv("AUTHSWITCH_BENCH_DIR");
    const std::string p = std::string(dir != nullptr ? dir : "/tmp") + "/authswitch_bench_load_" +
                          std::to_string(card_count()) + ".ndjson";
    struct stat st {};
    if (stat(p.c_str(), &st) == 0 && st.st_size > 0) return p;
    const std::string text = generate_demo_accounts(card_count());
    const std::string tmp = p + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr || std::fwrite(text.data(), 1, text.size(), f) != text.size() || std::fclose(f) != 0 ||
        std::rename(tmp.c_str(), p.c_str()) != 0) {
      std::perror(tmp.c_str());
      std::abort();
    }
    return p;
  }();
  return path;
}

void BM_LoadAccounts(benchmark::State& state) {
  const std::string& path = accounts_path();
  std::size_t cards = 0;
  for (auto _ : state) {
    LoadResult r = load_accounts_file(path);
    if (!r.accounts) {
      state.SkipWithError(r.error.c_str());
      break;
    }
    cards += r.accounts->card_ids.size();
    state.PauseTiming();
    r.accounts.reset();  // freeing the tables is not part of the load
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(cards));
  state.counters["cards"] = static_cast<double>(cards) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_LoadAccounts)->Iterations(1)->MeasureProcessCPUTime()->UseRealTime()->Unit(
    benchmark::kMillisecond);

}  // namespace
}  // namespace authswitch::core

BENCHMARK_MAIN();
