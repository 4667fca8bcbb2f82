#!/bin/sh
# Builds the sm_90 probe (probe.cu) against the golden CPU emulation
# (golden/src/sm90.cpp and the shipped MUFU tables), on a machine with nvcc.
# ROOT: the folder holding golden/ (default: this repository); the binary and
# objects go to $BUILD (default: ./probe-build).
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${ROOT:-$HERE/../../..}
BUILD=${BUILD:-probe-build}
mkdir -p "$BUILD/tables"
tar -xJf "$ROOT/golden/data/sm90_tables.tar.xz" -C "$BUILD/tables"
g++ -O2 -std=c++20 -ffp-contract=off -fno-fast-math -fopenmp -I"$ROOT/golden/include" \
  -c "$ROOT/golden/src/sm90.cpp" -o "$BUILD/sm90.o"
g++ -c -Wa,-I"$BUILD/tables" "$ROOT/golden/src/sm90_tables.S" -o "$BUILD/sm90_tables.o"
nvcc -O3 -arch=sm_90 --use_fast_math -std=c++20 -Xcompiler -fopenmp,-ffp-contract=off -I"$ROOT/golden/include" \
  "$HERE/probe.cu" "$BUILD/sm90.o" "$BUILD/sm90_tables.o" -o "$BUILD/probe" -lgomp
