#!/usr/bin/env bash
# Builds the whole tree, tests included, with clang 14, AddressSanitizer and
# UndefinedBehaviorSanitizer (-DSLMROOF_SANITIZE=ON, warnings as errors) in build-asan/, and runs
# the whole test suite under them: a memory error, a leak or undefined behaviour in the library,
# the CLI or a test aborts that test. Also the proof that the tree compiles with clang 14.
# docs/fuzzing.md has the details; extra arguments go to ctest (e.g. -R Reader).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

slmroof_ensure_packages clang-14 libclang-rt-14-dev llvm-14
build="$SLMROOF_ROOT/build-asan"
if [ -f "$build/CMakeCache.txt" ] &&
   ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++-14$' "$build/CMakeCache.txt"; then
  slmroof_log "$build was configured with another compiler; remove it and run again"
  exit 2
fi
# -O1 keeps the sanitized tests fast enough and the stacks readable; no -DNDEBUG, so that
# assertions run too.
CC=clang-14 CXX=clang++-14 cmake -S "$SLMROOF_ROOT" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g -fno-omit-frame-pointer" -DSLMROOF_SANITIZE=ON \
  -DSLMROOF_WERROR=ON -DSLMROOF_BUILD_TESTS=ON -DSLMROOF_BUILD_BENCHMARKS=OFF >&2
cmake --build "$build" -j"$(nproc)" >&2

# abort_on_error: a report kills the process with SIGABRT, so a test that runs the slmroof binary
# and expects exit code 1 cannot mistake a sanitizer's exit for its own error.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:check_initialization_order=1:strict_init_order=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
if command -v llvm-symbolizer-14 >/dev/null 2>&1; then
  export ASAN_SYMBOLIZER_PATH="$(command -v llvm-symbolizer-14)"
fi
cd "$build"
SLMROOF_REQUIRE_RENDERER=1 ctest --output-on-failure -j"$(nproc)" "$@"
