#!/bin/sh
# Synthesizes one mambahw block with yosys (Debian's 0.23) to a NAND2/INV +
# flip-flop netlist and reports its cell counts and NAND2-equivalent gates
# (docs/synthesis.md).
#
#   synth.sh BLOCK OUTDIR [PARAM=VALUE ...]
#
# Reads rtl/mambahw.f in order (the package first), sets the parameters,
# flattens, maps every flip-flop to a plain D flip-flop (with its
# asynchronous reset where it has one; enables and synchronous resets become
# gates), maps the logic to 2-input NANDs and inverters (abc -g NAND), and
# fails on a latch, a combinational loop or an undriven net. Writes
#   OUTDIR/BLOCK.v          the gate-level netlist (yosys simcells: $_NAND_, $_NOT_, $_DFF_*)
#   OUTDIR/BLOCK.stat.txt   yosys stat
#   OUTDIR/BLOCK.json       cell counts and NAND2-eq (also printed as one line)
#   OUTDIR/BLOCK.f          file list of the netlist and yosys's cell models, for
#                           simulating it (tb/kit/verify_rtl.sh --dut-f ... --no-params)
# NAND2-eq weights are the NanGate FreePDK45 Open Cell Library areas divided
# by NAND2_X1's 0.798 um2: INV_X1 0.532 (0.667), DFF_X1 4.522 (5.667),
# DFFR_X1 / DFFS_X1 5.320 (6.667).
set -eu
[ $# -ge 2 ] || { echo "usage: synth.sh BLOCK OUTDIR [PARAM=VALUE ...]" >&2; exit 2; }
block=$1 out=$2
shift 2
rtl=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
files=$(sed -e 's|//.*||' "$rtl/mambahw.f" | awk -v d="$rtl" 'NF { printf "%s/%s ", d, $1 }')
chparam=""
for p in "$@"; do chparam="$chparam chparam -set ${p%%=*} ${p#*=} $block;"; done

yosys -q -l "$out/$block.yosys.log" -p "
  read_verilog -sv -DSYNTHESIS -I$rtl $files
  $chparam
  synth -flatten -top $block
  dfflegalize -cell \$_DFF_P_ 01 -cell \$_DFF_PN0_ 01 -cell \$_DFF_PN1_ 01
  abc -g NAND
  opt_clean -purge
  select -assert-none t:\$_DLATCH* t:\$dlatch* t:\$_SR_*
  check -assert
  tee -q -o $out/$block.stat.txt stat
  write_verilog -noattr $out/$block.v
" || { tail -20 "$out/$block.yosys.log" >&2; echo "synth.sh: yosys failed on $block" >&2; exit 1; }

awk -v block="$block" -v params="$*" '
  $1 ~ /^\$_/ { n[$1] = $2 }
  END {
    nand = n["$_NAND_"] + 0; inv = n["$_NOT_"] + 0
    dff = n["$_DFF_P_"] + 0; dffr = n["$_DFF_PN0_"] + n["$_DFF_PN1_"] + 0
    other = 0
    for (c in n) if (c != "$_NAND_" && c != "$_NOT_" && c != "$_DFF_P_" && c != "$_DFF_PN0_" && c != "$_DFF_PN1_") other += n[c]
    ge = nand + inv * 0.532 / 0.798 + dff * 4.522 / 0.798 + dffr * 5.320 / 0.798
    logic = nand + inv * 0.532 / 0.798
    printf "{\"block\": \"%s\", \"parameters\": \"%s\", \"nand2\": %d, \"inv\": %d, \"dff\": %d, \"dff_reset\": %d, \"other_cells\": %d, \"logic_nand2_eq\": %.0f, \"nand2_eq\": %.0f}\n", block, params, nand, inv, dff, dffr, other, logic, ge
  }' "$out/$block.stat.txt" | tee "$out/$block.json"
grep -q '"other_cells": 0' "$out/$block.json" || { echo "synth.sh: cells outside NAND2/INV/DFF remain" >&2; exit 1; }
simcells="$(dirname "$(command -v yosys)")/../share/yosys/simcells.v"
[ -f "$simcells" ] || { echo "synth.sh: yosys's simcells.v not found at $simcells" >&2; exit 1; }
out_abs=$(cd "$out" && pwd)
printf '%s\n%s\n' "$out_abs/$block.v" "$(cd "$(dirname "$simcells")" && pwd)/simcells.v" > "$out/$block.f"
