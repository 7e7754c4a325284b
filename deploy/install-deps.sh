#!/usr/bin/env bash
# Installs the Debian 12 packages Switchboard needs to build, test and run. Idempotent: it
# only calls apt-get when a package is missing. Run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential python3 cmake ccache pkg-config   # toolchain (node-gyp needs python3 + make)
  libboost-dev nlohmann-json3-dev                   # Beast/Asio, JSON (header-only)
  libsqlite3-dev libcurl4-openssl-dev sqlite3                            # embedded store
  libgtest-dev                                      # native unit tests
  chromium                                          # browser tests (playwright-core drives it)
  strace linux-perf                                 # npm run bench: syscall counts
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ! command -v node >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
