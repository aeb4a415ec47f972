# Shared by scripts/slmroof and scripts/test.sh: install what the build needs, then build.
# Everything here prints to stderr: stdout belongs to slmroof's data.

SLMROOF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SLMROOF_PACKAGES=(cmake g++ make libcli11-dev nlohmann-json3-dev libfmt-dev libspdlog-dev
                  libeigen3-dev libgtest-dev libbenchmark-dev librsvg2-bin libxml2-utils)

slmroof_log() { printf 'slmroof-setup: %s\n' "$*" >&2; }

# Installs the Debian packages that are missing (apt-get, as root or through sudo).
slmroof_ensure_packages() {
  local missing=() p
  for p in "${SLMROOF_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo="sudo"
    else
      slmroof_log "missing packages: ${missing[*]}; install them with apt-get as root"
      return 1
    fi
  fi
  slmroof_log "installing ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

# Configures build/ on first use (a Release build; extra args go to cmake).
slmroof_configure() {
  local dir="$SLMROOF_ROOT/build"
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    slmroof_log "configuring a Release build in $dir"
    cmake -S "$SLMROOF_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >&2
  fi
}

# Builds the slmroof binary only, and records when a successful build started (scripts/slmroof
# runs the binary without building while no source is newer than that record). One build at a
# time: two first calls wait for each other instead of building the same tree at once.
slmroof_build_cli() {
  local dir="$SLMROOF_ROOT/build"
  mkdir -p "$dir"
  exec 8>"$dir/.slmroof-cli-build.lock"
  flock 8
  slmroof_configure
  local started
  started="$(mktemp "$dir/.slmroof-cli-build.XXXXXX")"
  if ! cmake --build "$dir" -j"$(nproc)" --target slmroof >&2; then
    rm -f "$started"
    flock -u 8
    return 1
  fi
  # A source edited while the build ran may be older than its object (written after the edit)
  # yet newer than the build's start: such files are touched so that the next build compiles
  # them again, and the stamp is not renewed, so the next call builds.
  local edited
  edited="$(find "$SLMROOF_ROOT/src" "$SLMROOF_ROOT/include" "$SLMROOF_ROOT/configs" \
                 "$SLMROOF_ROOT/hardware_specs" "$SLMROOF_ROOT/engines" "$SLMROOF_ROOT/cmake" \
                 "$SLMROOF_ROOT/CMakeLists.txt" -type f -newer "$started" -print)"
  if [ -n "$edited" ]; then
    rm -f "$started"
    while IFS= read -r f; do touch -c "$f"; done <<<"$edited"
  else
    mv -f "$started" "$dir/.slmroof-cli-built"
  fi
  flock -u 8
}
