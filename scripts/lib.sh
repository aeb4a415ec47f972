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
# runs the binary without building while no source is newer than that record).
slmroof_build_cli() {
  local dir="$SLMROOF_ROOT/build"
  slmroof_configure
  local started
  started="$(mktemp "$dir/.slmroof-cli-build.XXXXXX")"
  if ! cmake --build "$dir" -j"$(nproc)" --target slmroof >&2; then
    rm -f "$started"
    return 1
  fi
  mv -f "$started" "$dir/.slmroof-cli-built"
}
