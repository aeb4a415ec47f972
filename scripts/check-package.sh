#!/usr/bin/env bash
# Builds the .deb (scripts/package.sh), installs it with apt as a user would, runs the installed
# /usr/bin/slmroof (analyze, its manual page, a completion script), then removes it again. Without
# root or sudo, or when a slmroof package is installed already (left alone), it unpacks the
# package into a temporary directory and runs the binary from there. Called by scripts/test.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
deb="$("$SLMROOF_ROOT/scripts/package.sh")"
fail() { slmroof_log "package check: $*"; exit 1; }

sudo=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo="sudo -n"
fi
installed=0
dpkg-query -W -f='${Status}' slmroof 2>/dev/null | grep -q "install ok installed" && installed=1
if { [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; } && [ "$installed" -eq 0 ]; then
  trap '$sudo env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq slmroof >/dev/null 2>&1 || true' EXIT
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >&2
  # The package's own binary, whatever else is on PATH (cmake --install puts one in /usr/local).
  dpkg -L slmroof | grep -qx /usr/bin/slmroof || fail "the package installed no /usr/bin/slmroof"
  slmroof=/usr/bin/slmroof
  man -w slmroof >/dev/null || fail "man cannot find the slmroof manual page"
  completion=/usr/share/bash-completion/completions/slmroof
else
  [ "$installed" -eq 0 ] || slmroof_log "package check: a slmroof package is installed; unpacking this one instead"
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' EXIT
  dpkg-deb -x "$deb" "$root"
  slmroof="$root/usr/bin/slmroof"
  completion="$root/usr/share/bash-completion/completions/slmroof"
fi
out="$(cd / && "$slmroof" analyze qwen2.5-0.5b --hw raspberry-pi-5 --phase decode)" ||
  fail "the installed slmroof analyze failed"
grep -q "time per output token" <<<"$out" || fail "analyze printed no time per output token"
bash -n "$completion" || fail "the installed bash completion does not parse"
slmroof_log "package check: $(basename "$deb") installs, runs analyze, has its manual page and completions"
