#!/bin/sh
# Installs the Debian 12 packages mambahw builds and tests with, then the npm
# packages of the sweep's HTML report (tools/sweep/html: vega, vega-lite,
# vega-embed, exactly as package-lock.json pins them, with `npm ci`).
# Run as root: installs whatever is missing with apt-get.
# Run as a user: lists the missing packages and the command to install them,
# then exits non-zero, so `make` stops before a confusing CMake error.
set -eu
cd "$(dirname "$0")/.."

PACKAGES="
cmake ninja-build g++ pkg-config ccache
verilator iverilog yosys
libsystemc-dev libeigen3-dev libfmt-dev libyaml-cpp-dev libcli11-dev
nlohmann-json3-dev libssl-dev libzip-dev
python3-dev pybind11-dev python3-numpy python3-torch
libgtest-dev libgmock-dev libbenchmark-dev
gcovr lcov
clang-14 libclang-rt-14-dev libomp-14-dev
munge slurm-wlm
chromium
nodejs
"
# npm: Debian's package, unless the installed nodejs brings its own.
command -v npm >/dev/null 2>&1 || PACKAGES="$PACKAGES npm"

missing=""
for p in $PACKAGES; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
  esac
done

# The report's plotting libraries: npm ci from the lock file, again only when
# package-lock.json changed since the last install (its hash is kept beside
# the packages).
npm_install() {
  html=tools/sweep/html
  stamp=$html/node_modules/.mambahw-lock.sha256
  want=$(sha256sum "$html/package-lock.json" | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  echo "install-deps: npm ci in $html (vega, vega-lite, vega-embed as package-lock.json pins them)"
  (cd "$html" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
}

if [ -z "$missing" ]; then
  npm_install
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  echo "install-deps: installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing
  npm_install
else
  echo "install-deps: missing Debian packages:$missing" >&2
  echo "install-deps: run as root:  apt-get install -y --no-install-recommends$missing" >&2
  exit 1
fi
