#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang 14 in build-fuzz/ and runs each one: first once
# over its committed regression inputs (fuzz/regressions/<target>/), then for SECONDS of fuzzing
# from the seeds (fuzz/make_seeds.sh) and the corpus it keeps growing in build-fuzz/corpus-<target>
# (outside git). Crash inputs go to build-fuzz/artifacts/; every run appends a line to
# build-fuzz/fuzz-log.tsv. docs/fuzzing.md describes the targets and how to reproduce a crash.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]    (default: 60 seconds each, every target;
#                                                  a target is fuzz_model or just model)
# Environment: SLMROOF_FUZZ_CHECK_MESSAGES=OFF builds the targets without the checks of error
# messages (length, UTF-8, control characters), to look only for crashes and broken invariants;
# SLMROOF_FUZZ_BUILD_DIR replaces build-fuzz/ (the build, corpora, artifacts, logs);
# SLMROOF_FUZZ_PREBUILT=1 runs the targets as built, without building (a long campaign on one
# commit while the tree changes).
# Exit status: 1 when any run ends in a crash, a sanitizer report, a leak, a timeout or an OOM.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

all_targets=(fuzz_model fuzz_hardware fuzz_engine fuzz_measurements fuzz_axis fuzz_units
             fuzz_threshold fuzz_side fuzz_gguf fuzz_plan)
seconds=60
if [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+$ ]]; then
  seconds="$1"
  shift
fi
targets=()
for t in "$@"; do
  t="fuzz_${t#fuzz_}"
  if [[ ! " ${all_targets[*]} " =~ " $t " ]]; then
    slmroof_log "unknown fuzz target '$t' (targets: ${all_targets[*]})"
    exit 2
  fi
  targets+=("$t")
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

slmroof_ensure_packages clang-14 libclang-rt-14-dev llvm-14
build="${SLMROOF_FUZZ_BUILD_DIR:-$SLMROOF_ROOT/build-fuzz}"
if [ -f "$build/CMakeCache.txt" ] &&
   ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++-14$' "$build/CMakeCache.txt"; then
  slmroof_log "$build was configured with another compiler; remove it and run again"
  exit 2
fi
# Two invocations may share $build (e.g. one per core, each with its own targets): the build
# and the seeds are made by one at a time.
mkdir -p "$build"
exec 9>"$build/.build.lock"
flock 9
if [ "${SLMROOF_FUZZ_PREBUILT:-}" = 1 ]; then
  for t in "${targets[@]}"; do
    [ -x "$build/fuzz/$t" ] || { slmroof_log "SLMROOF_FUZZ_PREBUILT=1 but $build/fuzz/$t is not built"; exit 2; }
  done
else
  CC=clang-14 CXX=clang++-14 cmake -S "$SLMROOF_ROOT" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSLMROOF_FUZZ=ON -DSLMROOF_BUILD_TESTS=OFF -DSLMROOF_BUILD_BENCHMARKS=OFF -DSLMROOF_WERROR=ON \
    -DSLMROOF_FUZZ_CHECK_MESSAGES="${SLMROOF_FUZZ_CHECK_MESSAGES:-ON}" >&2
  cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >&2
fi
"$SLMROOF_ROOT/fuzz/make_seeds.sh" "$build/seeds"
flock -u 9

# Sanitizer reports with symbolized stacks; libFuzzer itself turns them into failures.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
if command -v llvm-symbolizer-14 >/dev/null 2>&1; then
  export ASAN_SYMBOLIZER_PATH="$(command -v llvm-symbolizer-14)"
fi

dict_of() {
  case "$1" in
    fuzz_model | fuzz_hardware | fuzz_engine) echo json.dict ;;
    fuzz_measurements) echo measurements.dict ;;
    *) echo "${1#fuzz_}.dict" ;;
  esac
}

# What a libFuzzer log reports, as one word for the log file.
result_of() {
  local rc="$1" log="$2"
  if [ "$rc" -eq 0 ]; then echo ok
  elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then echo timeout
  elif grep -q -e 'ERROR: libFuzzer: out-of-memory' -e 'ERROR: libFuzzer: malloc' "$log"; then echo oom
  elif grep -q 'ERROR: LeakSanitizer' "$log"; then echo leak
  elif grep -q 'ERROR: AddressSanitizer' "$log"; then echo asan
  elif grep -q 'runtime error:' "$log"; then echo ubsan
  elif grep -q '==slmroof-fuzz== DEFECT' "$log"; then echo defect
  elif grep -q 'ERROR: libFuzzer' "$log"; then echo crash
  else echo "failed($rc)"
  fi
}

mkdir -p "$build/artifacts" "$build/logs"
run_id="$(date -u +%Y%m%dT%H%M%SZ)-$$"  # logs of runs that overlap stay apart
tsv="$build/fuzz-log.tsv"
[ -f "$tsv" ] || printf 'date\ttarget\tseconds\tcpu_s\texecs\tcorpus_files\tresult\n' >"$tsv"
failed=()
total_cpu=0
summary=()
for t in "${targets[@]}"; do
  bin="$build/fuzz/$t"
  corpus="$build/corpus-$t"
  mkdir -p "$corpus"
  common=(-rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 -print_final_stats=1
          "-artifact_prefix=$build/artifacts/$t-")

  # Fixed crashers stay fixed: each committed input runs once.
  regressions=()
  if [ -d "$SLMROOF_ROOT/fuzz/regressions/$t" ]; then
    while IFS= read -r -d '' f; do regressions+=("$f"); done \
      < <(find "$SLMROOF_ROOT/fuzz/regressions/$t" -type f -print0 | sort -z)
  fi
  if [ ${#regressions[@]} -gt 0 ]; then
    log="$build/logs/$run_id-$t-regressions.log"
    rc=0
    "$bin" "${common[@]}" "${regressions[@]}" >"$log" 2>&1 || rc=$?
    result="$(result_of "$rc" "$log")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" regressions - \
      "${#regressions[@]}" - "$result" >>"$tsv"
    if [ "$result" != ok ]; then
      slmroof_log "$t: a regression input fails ($result); see $log"
      tail -n 40 "$log" >&2
      failed+=("$t:regressions:$result")
    fi
  fi

  log="$build/logs/$run_id-$t.log"
  rc=0
  times="$(mktemp)"
  TIMEFORMAT='%U %S'
  { time "$bin" "${common[@]}" -max_total_time="$seconds" "-dict=$SLMROOF_ROOT/fuzz/$(dict_of "$t")" \
      "$corpus" "$build/seeds/$t" >"$log" 2>&1; } 2>"$times" || rc=$?
  cpu="$(awk '{ printf "%.1f", $1 + $2 }' "$times")"
  rm -f "$times"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  files="$(find "$corpus" -type f | wc -l)"
  result="$(result_of "$rc" "$log")"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$seconds" "$cpu" \
    "${execs:-0}" "$files" "$result" >>"$tsv"
  summary+=("$(printf '%-18s %6s CPU s %10s execs %6s corpus files  %s' "$t" "$cpu" "${execs:-0}" \
    "$files" "$result")")
  total_cpu="$(awk -v a="$total_cpu" -v b="$cpu" 'BEGIN { printf "%.1f", a + b }')"
  if [ "$result" != ok ]; then
    slmroof_log "$t: $result; log $log, input in $build/artifacts/"
    grep -E -A 12 '==slmroof-fuzz==|ERROR: |runtime error:' "$log" | head -n 60 >&2 || tail -n 40 "$log" >&2
    failed+=("$t:$result")
  fi
done

for line in "${summary[@]}"; do slmroof_log "$line"; done
slmroof_log "total fuzzing CPU time: ${total_cpu} s (log: $tsv)"
if [ ${#failed[@]} -gt 0 ]; then
  slmroof_log "FAILED: ${failed[*]}"
  exit 1
fi
