#!/usr/bin/env bash
# Builds the benchmarks (Release, in build/) and runs them; extra arguments go to Google
# Benchmark, e.g. --benchmark_filter=Sweep. The figures in docs/performance.md come from this.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
slmroof_ensure_packages libbenchmark-dev
dir="$SLMROOF_ROOT/build"
cmake -S "$SLMROOF_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DSLMROOF_BUILD_BENCHMARKS=ON >&2
cmake --build "$dir" -j"$(nproc)" --target slmroof_bench >&2
"$dir/benchmarks/slmroof_bench" --benchmark_counters_tabular=true "$@"
