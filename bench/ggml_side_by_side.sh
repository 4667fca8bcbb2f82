#!/usr/bin/env bash
# ggml's CPU ssm_scan / ssm_conv beside the golden kernels (docs/benchmarks.md).
#   bench/ggml_side_by_side.sh GGML_SOURCE [--reps N]
# GGML_SOURCE is a ggml checkout (github.com/ggml-org/ggml; the published
# figures used v0.21.0). ggml is built out of tree, CPU backend only, native
# ISA, under $GGML_WORK (default /tmp/mambahw-ggml) and installed there; the
# harness is then configured into $BUILD (default build/) with
# -DMAMBAHW_GGML_DIR and run on one thread.
set -euo pipefail
if [[ $# -lt 1 || ! -f "$1/include/ggml.h" ]]; then
  echo "usage: $0 GGML_SOURCE [--reps N]   (GGML_SOURCE: a ggml checkout with include/ggml.h)" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
shift
root=$(cd "$(dirname "$0")/.." && pwd)
work=${GGML_WORK:-/tmp/mambahw-ggml}
build=${BUILD:-$root/build}
jobs=${JOBS:-2}
cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=OFF \
  -DGGML_BUILD_TESTS=OFF -DGGML_BUILD_EXAMPLES=OFF -DGGML_CCACHE=OFF >/dev/null
cmake --build "$work/build" -j "$jobs"
cmake --install "$work/build" --prefix "$work/install" >/dev/null
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMAMBAHW_GGML_DIR="$work/install" >/dev/null
cmake --build "$build" -j "$jobs" --target ggml_side_by_side
echo "ggml: $(git -C "$src" describe --tags 2>/dev/null || echo "$src")"
"$build/bench/ggml_side_by_side" "$@"
