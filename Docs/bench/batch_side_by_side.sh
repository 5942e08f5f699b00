#!/bin/bash
# One run of measurements for issue 14: `strat bench batch` of each given build
# (alternating, twice each, under /usr/bin/time), then vectorbt and
# backtesting.py on the same 100k-bar grid (batch_reference.py).
#
#   Docs/bench/batch_side_by_side.sh /tmp/strat-before .build/release/strat
#
# Needs /tmp/strat-bench/rw_1m.csv (`strat bench backtest` writes it) and a
# Python with vectorbt and backtesting (PYTHON, default python3).
set -u
cd "$(dirname "$0")/../.."
echo "start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in 1 2; do
  for b in "$@"; do
    echo "== $b run $i $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)"
    /usr/bin/time -f "$b: user %U s, sys %S s, wall %e s, max RSS %M KB" "$b" bench batch 2>&1 | tail -3
  done
done
echo "== vectorbt + backtesting.py $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)"
/usr/bin/time -f "python: wall %e s, max RSS %M KB" "${PYTHON:-python3}" Docs/bench/batch_reference.py \
  /tmp/strat-bench/rw_1m.csv 100000 vectorbt backtesting 2>&1 | tr '\r' '\n' | grep -E "^(vectorbt|backtesting.py optimize|python):"
echo "end $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
