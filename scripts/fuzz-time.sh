#!/usr/bin/env bash
# Totals of the fuzzing recorded in fuzz logs (scripts/fuzz.sh appends one line per run to
# build-fuzz/fuzz-log.tsv; fuzz/fuzz-log.tsv keeps the campaigns run for docs/robustness.md).
# Prints, per target, the CPU minutes of fuzzing (regression replays excluded), the executions
# and the runs that did not end "ok".
# Usage: scripts/fuzz-time.sh [LOG...]   (default: fuzz/fuzz-log.tsv)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -gt 0 ] || set -- fuzz/fuzz-log.tsv
echo "| target | runs | CPU minutes | executions | runs not ok |"
echo "|---|---|---|---|---|"
awk -F'\t' '
  FNR == 1 { next }                      # header
  $3 == "regressions" { next }           # replays of fixed crashers, not fuzzing
  { cpu[$2] += $4; execs[$2] += $5; runs[$2]++; if ($7 != "ok") bad[$2]++ }
  END {
    for (t in cpu) {
      printf "| %s | %d | %.1f | %d | %d |\n", t, runs[t], cpu[t] / 60, execs[t], bad[t]
    }
  }' "$@" | sort
