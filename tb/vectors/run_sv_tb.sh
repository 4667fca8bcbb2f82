#!/bin/sh
# Compiles and runs a self-checking vector testbench under Icarus Verilog or
# Verilator. Usage: run_sv_tb.sh iverilog|verilator BLOCK VECTOR_DIR WORK_DIR
set -eu
sim=$1 block=$2 vec=$3 work=$4
root=$(cd "$(dirname "$0")/../.." && pwd)
rtl="$root/rtl/mambahw_pkg.sv $root/rtl/fp32_mul.sv $root/rtl/fp32_to_int.sv $root/rtl/conv_out_quantizer.sv \
$root/rtl/ssm_dequant.sv $root/rtl/scale_index_lookup.sv"
tb="$root/tb/vectors/tb_$block.sv"
mkdir -p "$work"
case $sim in
  iverilog)
    iverilog -g2012 -I "$vec" -s "tb_$block" -o "$work/tb_$block.vvp" $rtl "$tb"
    vvp -n "$work/tb_$block.vvp" +VECTORS="$vec"
    ;;
  verilator)
    verilator --binary --timing -O1 -Wno-fatal -Wno-lint -Wno-style -I"$vec" --top-module "tb_$block" \
      -Mdir "$work/obj_$block" $rtl "$tb" > "$work/verilator_build.log" 2>&1 ||
      { cat "$work/verilator_build.log"; exit 1; }
    "$work/obj_$block/Vtb_$block" +VECTORS="$vec"
    ;;
  *) echo "unknown simulator $sim" >&2; exit 2 ;;
esac
