#!/usr/bin/env bash
# Writes the seed corpus of every fuzz target into OUT/<target>/ from the data the tree ships
# (presets, test data, validation files) and the hand-written seeds of fuzz/corpus/<target>/.
# Presets are copied at run time rather than committed twice. Usage: make_seeds.sh OUT
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:?usage: make_seeds.sh OUT}"
targets=(fuzz_model fuzz_hardware fuzz_engine fuzz_measurements fuzz_axis fuzz_units fuzz_threshold
         fuzz_side fuzz_gguf fuzz_plan)

# copy TARGET FILE...: each file as <its directory>-<its name>, so that names never collide.
copy() {
  local target="$1" f
  shift
  for f in "$@"; do
    [ -f "$f" ] || continue
    cp "$f" "$out/$target/$(basename "$(dirname "$f")")-$(basename "$f")"
  done
}

for t in "${targets[@]}"; do
  rm -rf "${out:?}/$t"
  mkdir -p "$out/$t"
  copy "$t" "$root"/fuzz/corpus/"$t"/*
done
copy fuzz_model "$root"/configs/*.json "$root"/tests/data/*.json \
  "$root"/validation/configs-candidates/*.json
copy fuzz_hardware "$root"/hardware_specs/*.json
copy fuzz_engine "$root"/engines/*.json
copy fuzz_measurements "$root"/validation/local/raw/*.json
# The measurement CSVs are long; a header and a few rows show every column's forms, and keep
# libFuzzer's maximum input length (the largest seed) small.
for f in "$root"/validation/measurements/*.csv; do
  head -n 25 "$f" >"$out/fuzz_measurements/measurements-$(basename "$f")"
done
for t in "${targets[@]}"; do
  printf '%s: %s seeds\n' "$t" "$(find "$out/$t" -type f | wc -l)" >&2
done
