#!/usr/bin/env bash
# Builds the Debian package of slmroof: build/package/slmroof_VERSION_ARCH.deb, installable with
#   apt install ./build/package/slmroof_*.deb
# It holds the binary (presets embedded), its manual page and bash, zsh and fish completions.
# Prints the package's path on stdout.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
slmroof_ensure_packages dpkg-dev  # dpkg-shlibdeps computes the package's library dependencies
slmroof_build_cli
cmake -S "$SLMROOF_ROOT" -B "$SLMROOF_ROOT/build" >/dev/null  # the version names the current commit
dir="$SLMROOF_ROOT/build"
rm -rf "$dir/package"
(cd "$dir" && cpack -G DEB --config CPackConfig.cmake >&2)
deb="$(find "$dir/package" -maxdepth 1 -name 'slmroof_*.deb' -print -quit)"
if [ -z "$deb" ]; then
  slmroof_log "cpack wrote no .deb into $dir/package"
  exit 1
fi
echo "$deb"
