#!/bin/sh
# Compiles and runs a self-checking vector testbench under Icarus Verilog or
# Verilator and exits non-zero unless the testbench prints PASS.
# Usage: run_sv_tb.sh iverilog|verilator BLOCK VECTOR_DIR WORK_DIR [PARAM=VALUE ...]
# PARAM=VALUE overrides a testbench parameter (e.g. PARALLEL=1 for the lookup).
set -eu
sim=$1 block=$2 vec=$3 work=$4
shift 4
root=$(cd "$(dirname "$0")/../.." && pwd)
rtl="$root/rtl/mambahw_pkg.sv $root/rtl/fp32_mul.sv $root/rtl/fp32_to_int.sv $root/rtl/conv_out_quantizer.sv \
$root/rtl/ssm_dequant.sv $root/rtl/scale_index_lookup.sv"
tb="$root/tb/vectors/tb_$block.sv"
params=""
for p in "$@"; do
  case $sim in
    iverilog) params="$params -Ptb_$block.$p" ;;
    *) params="$params -G$p" ;;
  esac
done
mkdir -p "$work"
case $sim in
  iverilog)
    iverilog -g2012 $params -I "$vec" -I "$root/tb/vectors" -s "tb_$block" -o "$work/tb_$block.vvp" $rtl "$tb"
    cmd="vvp -n $work/tb_$block.vvp +VECTORS=$vec"
    ;;
  verilator)
    verilator --binary --timing -O1 -Wno-fatal -Wno-lint -Wno-style $params -I"$vec" -I"$root/tb/vectors" --top-module "tb_$block" \
      -Mdir "$work/obj_$block" $rtl "$tb" > "$work/verilator_build.log" 2>&1 ||
      { cat "$work/verilator_build.log"; exit 1; }
    cmd="$work/obj_$block/Vtb_$block +VECTORS=$vec"
    ;;
  *) echo "unknown simulator $sim" >&2; exit 2 ;;
esac
$cmd > "$work/tb_$block.log" 2>&1 || true
cat "$work/tb_$block.log"
grep -q '^PASS' "$work/tb_$block.log"
