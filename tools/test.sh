#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what is missing, then
# builds and runs every test in a plain release build, again under
# AddressSanitizer + UndefinedBehaviorSanitizer, the concurrent tests under
# ThreadSanitizer, a bounded libFuzzer run of each codec fuzz target, and a
# one-pass smoke run of each benchmark so they never rot.
#
# Environment: JOBS (default: nproc), FUZZ_SECONDS (default 60),
# SKIP_SANITIZERS=1 / SKIP_FUZZ=1 for a quick local loop.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=${JOBS:-$(nproc)}
fuzz_seconds=${FUZZ_SECONDS:-30}
# Most tests wait on sockets, child processes or a switch's drain rather
# than compute: two per CPU in the release run keep CI under its 30
# minutes. The sanitizer runs compute, one test per CPU.
ctest_jobs=${CTEST_JOBS:-$((jobs * 2))}
passed=0
failed=0

step() { printf '\n=== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

# Runs ctest in a build tree and adds its counts to the summary.
run_ctest() {
  local dir=$1; shift
  local log="$dir/ctest.log" rc=0
  ctest --test-dir "$dir" -j "$ctest_jobs" --output-on-failure --timeout 900 "$@" 2>&1 | tee "$log" || rc=$?
  local line total bad
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  if [[ -z $line ]]; then
    echo "test.sh: ctest in $dir ran no test" >&2
    failed=$((failed + 1))
    return 0
  fi
  bad=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
  passed=$((passed + total - bad))
  failed=$((failed + bad))
  if ((rc != 0 && bad == 0)); then failed=$((failed + 1)); fi
}

# Sanitizer and fuzz trees: -O1 with line tables only. They exist to find
# faults, not to be fast, and -O2 -g made the ASan build half of CI's time
# (a test TU: 46 s at -O2 -g, 30 s at -O1 -g1).
checked_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
               "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")

# configure_and_build DIR [TARGET] -- [cmake args...]
configure_and_build() {
  local dir=$1 target=$2; shift 2
  cmake -S . -B "$dir" -G Ninja "$@" >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
  cmake --build "$dir" -j "$jobs" --target "$target"
}

step "setup"
./tools/setup.sh

step "release build and tests"
configure_and_build build all
run_ctest build

step "benchmark smoke run (one short pass each; figures live in bench/RESULTS.md)"
# Small data sets: the smoke run proves each benchmark still runs, it does not
# measure (AUTHSWITCH_BENCH_CARDS: cards loaded; AUTHSWITCH_BENCH_RECORDS /
# _EVERY: log records written and replayed, snapshot interval).
for b in build/bench/*/bench_*; do
  [[ -x $b ]] || continue
  started=$SECONDS
  if ! AUTHSWITCH_BENCH_CARDS=20000 AUTHSWITCH_BENCH_RECORDS=100000 AUTHSWITCH_BENCH_EVERY=25000 "$b" --benchmark_min_time=0.01 >/dev/null 2>"$b.smoke.err"; then
    echo "benchmark $b failed:"; cat "$b.smoke.err"; failed=$((failed + 1))
  else
    echo "ok $b ($((SECONDS - started)) s)"
  fi
done

if [[ ${SKIP_SANITIZERS:-0} != 1 ]]; then
  step "AddressSanitizer + UndefinedBehaviorSanitizer"
  configure_and_build build-asan all "${checked_flags[@]}" -DAUTHSWITCH_SANITIZE=address,undefined -DAUTHSWITCH_BENCH=OFF
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest_jobs=$jobs \
    run_ctest build-asan -LE no-asan

  step "ThreadSanitizer (concurrent tests)"
  configure_and_build build-tsan concurrent_tests "${checked_flags[@]}" -DAUTHSWITCH_SANITIZE=thread -DAUTHSWITCH_BENCH=OFF
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest_jobs=$jobs run_ctest build-tsan -L concurrent
fi

if [[ ${SKIP_FUZZ:-0} != 1 ]]; then
  step "libFuzzer, ${fuzz_seconds}s per target"
  # Only the fuzz targets build with clang (fuzz_all, tests/fuzz/CMakeLists.txt).
  CC=clang CXX=clang++ configure_and_build build-fuzz fuzz_all "${checked_flags[@]}" -DAUTHSWITCH_FUZZ=ON -DAUTHSWITCH_BENCH=OFF \
    -DAUTHSWITCH_SANITIZE=address,undefined
  # The targets run side by side: CI's wall time is what is bounded, and
  # each still gets fuzz_seconds of wall time on its share of the CPUs.
  targets=() pids=()
  for f in build-fuzz/tests/fuzz/fuzz_*; do
    [[ -x $f ]] || continue
    name=$(basename "$f")
    corpus="build-fuzz/corpus/$name"
    mkdir -p "$corpus"
    "$f" -max_total_time="$fuzz_seconds" -print_final_stats=1 "$corpus" "tests/fuzz/seeds/$name" >"$f.log" 2>&1 &
    targets+=("$f") pids+=($!)
  done
  for i in "${!targets[@]}"; do
    f=${targets[$i]} name=$(basename "${targets[$i]}")
    if wait "${pids[$i]}"; then
      echo "ok $name: $(grep -E 'stat::number_of_executed_units' "$f.log" | awk '{print $2}') runs, no crash"
      passed=$((passed + 1))
    else
      echo "FUZZ FAILURE in $name:"; tail -n 60 "$f.log"; failed=$((failed + 1))
    fi
  done
fi

printf '\nsummary: %d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
