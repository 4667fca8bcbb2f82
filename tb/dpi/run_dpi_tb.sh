#!/bin/sh
# Builds and runs tb_dpi_scoreboard.sv under Verilator (--assert, the protocol
# checker bound) with the golden model's DPI-C library linked in.
# Usage: run_dpi_tb.sh LIBMAMBAHW_DPI.so WORK_DIR [+N=count] [+SEED=n]
set -eu
lib=$1 work=$2
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
libdir=$(cd "$(dirname "$lib")" && pwd)
mkdir -p "$work"
verilator --binary --timing --assert -O1 -Wno-fatal -Wno-lint -Wno-style -I"$root/rtl" -I"$root/rtl/sva" "$root/rtl/lint.vlt" \
  -F "$root/rtl/mambahw.f" -F "$root/rtl/sva/mambahw_sva.f" "$root/tools/dpi/sv/mambahw_dpi_pkg.sv" \
  "$root/tb/dpi/tb_dpi_scoreboard.sv" --top-module tb_dpi_scoreboard -Mdir "$work/obj" \
  -LDFLAGS "-Wl,-rpath,$libdir" "$libdir/$(basename "$lib")" > "$work/build.log" 2>&1 ||
  { cat "$work/build.log"; exit 1; }
"$work/obj/Vtb_dpi_scoreboard" "$@" > "$work/run.log" 2>&1 || true
cat "$work/run.log"
grep -q '^PASS' "$work/run.log" && ! grep -q 'ASSERT FAILED' "$work/run.log"
