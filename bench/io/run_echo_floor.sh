#!/usr/bin/env bash
# The loopback floor, three 10 s runs at each rate given (default 50000
# 100000), one line per run with the load average beside the JSON summary,
# since this 2-core machine is shared and the floor moves with the load.
#
#   bench/io/run_echo_floor.sh [RATE...]      (PIN=0 runs unpinned)
set -euo pipefail
cd "$(dirname "$0")/../.."
binary=${ECHO_FLOOR:-build-io/bench/io/echo_floor}
rates=("$@")
((${#rates[@]})) || rates=(50000 100000)
for rate in "${rates[@]}"; do
  for run in 1 2 3; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    summary=$("$binary" --rate "$rate" --seconds 10 --pin "${PIN:-1}" 2>/dev/null | tail -n 1)
    echo "rate=$rate run=$run load=$load $summary"
  done
done
