#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors (benchmarks too, so they keep
# compiling; scripts/bench.sh runs them), and runs the whole test suite.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
slmroof_ensure_packages zsh fish  # the completion tests parse the zsh and fish scripts
cmake -S "$SLMROOF_ROOT" -B "$SLMROOF_ROOT/build" -DCMAKE_BUILD_TYPE=Release -DSLMROOF_WERROR=ON \
  -DSLMROOF_BUILD_BENCHMARKS=ON >&2
cmake --build "$SLMROOF_ROOT/build" -j"$(nproc)" >&2
cd "$SLMROOF_ROOT/build"
# The chart tests render with rsvg-convert and validate with xmllint, which slmroof_ensure_packages
# installed: missing ones fail the run here instead of being skipped.
SLMROOF_REQUIRE_RENDERER=1 ctest --output-on-failure -j"$(nproc)"
# The Debian package installs and runs (scripts/check-package.sh).
"$SLMROOF_ROOT/scripts/check-package.sh"
