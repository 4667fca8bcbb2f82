#!/bin/sh
# Installs the Debian 12 packages mambahw builds and tests with.
# Run as root: installs whatever is missing with apt-get.
# Run as a user: lists the missing packages and the command to install them,
# then exits non-zero, so `make` stops before a confusing CMake error.
set -eu

PACKAGES="
cmake ninja-build g++ pkg-config ccache
verilator iverilog yosys
libsystemc-dev libeigen3-dev libfmt-dev libyaml-cpp-dev libcli11-dev
nlohmann-json3-dev libssl-dev libzip-dev
python3-dev pybind11-dev python3-numpy python3-torch
libgtest-dev libgmock-dev libbenchmark-dev
gcovr lcov
clang-14 libclang-rt-14-dev
"

missing=""
for p in $PACKAGES; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
  esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "install-deps: installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing
else
  echo "install-deps: missing Debian packages:$missing" >&2
  echo "install-deps: run as root:  apt-get install -y --no-install-recommends$missing" >&2
  exit 1
fi
