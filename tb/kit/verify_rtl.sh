#!/bin/sh
# The mambahw verification kit: runs an engineer's RTL against exported golden
# vectors under Icarus Verilog or Verilator (docs/kit.md).
#
#   verify_rtl.sh --block BLOCK --vectors DIR --sim icarus|verilator
#                 [--dut-f FILE | --dut-F FILE] [--top MODULE] [--adapter FILE]
#                 [--no-params] [--seed N] [--stall PCT] [--gap PCT]
#                 [--max-errors N] [--work DIR] [--define NAME[=VALUE]]...
#                 [--param NAME=VALUE]... [--dpi LIBRARY]
#
#   BLOCK      conv_out_quantizer | ssm_dequant | scale_index_lookup
#   --dut-f    the DUT's file list, paths relative to the working directory
#              (the usual -f convention); --dut-F: relative to the list's own
#              directory (Verilator's -F). Default: mambahw's own RTL
#              (rtl/mambahw.f).
#   --top      the DUT's module name, instantiated by the default adapter
#              (default: BLOCK). --adapter replaces the adapter with the
#              engineer's copy of tb/kit/adapters/kit_BLOCK_adapter.sv.
#   --no-params  the default adapter passes no parameters (netlists).
#   --seed/--stall/--gap   back-pressure and input-gap randomisation (1/30/20).
#   --define   a macro for the DUT's sources; --param a testbench parameter
#              (PARALLEL=1: the lookup adapter's Parallel parameter).
#   --dpi      the golden model's DPI-C library (libmambahw_dpi.so): the
#              scoreboard computes every expected word on the fly (Verilator).
#
# Exit status 0 on PASS, 1 on FAIL, 2 on a usage or tool error. On a failure
# the run is repeated with an FST waveform of the cycles around the first
# failures (WORK/BLOCK.fst). Files: WORK/kit.log (the report), WORK/build.log.
set -eu

die() { echo "verify_rtl: $*" >&2; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
kit="$root/tb/kit"

block="" vec="" sim="" dut_list="" dut_rel="" top="" adapter="" no_params=0
seed=1 stall=30 gap=20 max_errors=10 work="" defines="" params="" dpi=""
while [ $# -gt 0 ]; do
  case $1 in
    --block) block=$2; shift 2 ;;
    --vectors) vec=$2; shift 2 ;;
    --sim) sim=$2; shift 2 ;;
    --dut-f) dut_list=$2; dut_rel=cwd; shift 2 ;;
    --dut-F) dut_list=$2; dut_rel=list; shift 2 ;;
    --top) top=$2; shift 2 ;;
    --adapter) adapter=$2; shift 2 ;;
    --no-params) no_params=1; shift ;;
    --seed) seed=$2; shift 2 ;;
    --stall) stall=$2; shift 2 ;;
    --gap) gap=$2; shift 2 ;;
    --max-errors) max_errors=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --define) defines="$defines $2"; shift 2 ;;
    --param) params="$params $2"; shift 2 ;;
    --dpi) dpi=$2; shift 2 ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
case $block in
  conv_out_quantizer|ssm_dequant|scale_index_lookup) ;;
  "") die "--block is required" ;;
  *) die "no kit testbench for block '$block' (conv_out_quantizer, ssm_dequant, scale_index_lookup)" ;;
esac
case $sim in icarus|verilator) ;; *) die "--sim must be icarus or verilator" ;; esac
[ -n "$vec" ] || die "--vectors is required"
[ -f "$vec/manifest.json" ] || die "$vec: no manifest.json (not an exported vector directory)"
grep -q "\"block\": \"$block\"" "$vec/manifest.json" || die "$vec holds vectors of another block than $block"
[ -f "$vec/tb_params.svh" ] || die "$vec: no tb_params.svh"
vec=$(cd "$vec" && pwd)
if [ -z "$dut_list" ]; then dut_list="$root/rtl/mambahw.f"; dut_rel=list; fi
[ -f "$dut_list" ] || die "$dut_list: no such file list"
[ -n "$top" ] || top=$block
[ -z "$adapter" ] || [ -f "$adapter" ] || die "$adapter: no such adapter file"
[ -z "$dpi" ] || [ "$sim" = verilator ] || die "--dpi needs --sim verilator (Icarus has no DPI-C)"
[ -z "$dpi" ] || [ -f "$dpi" ] || die "$dpi: no such library"
[ -n "$work" ] || work="kit_work/${block}_$sim"
mkdir -p "$work"
work=$(cd "$work" && pwd)

# The DUT's file list with absolute paths (plain files, +incdir+, +define+,
# comments; other options pass through), so both simulators read it alike.
base=$(pwd)
[ "$dut_rel" = list ] && base=$(cd "$(dirname "$dut_list")" && pwd)
abs() { case $1 in /*) echo "$1" ;; *) echo "$base/$1" ;; esac; }
: > "$work/dut.f"
sed -e 's|//.*||' -e 's|#.*||' "$dut_list" | tr -s ' \t' '\n\n' | while read -r tok; do
  case $tok in
    "") ;;
    +incdir+*) echo "+incdir+$(abs "${tok#+incdir+}")" ;;
    +define+*|-*) echo "$tok" ;;
    *) echo "$(abs "$tok")" ;;
  esac
done > "$work/dut.f"

kit_files="$kit/contract/mambahw_contract_pkg.sv"
[ -n "$dpi" ] && kit_files="$kit_files $root/tools/dpi/sv/mambahw_dpi_pkg.sv"
kit_files="$kit_files ${adapter:-$kit/adapters/kit_${block}_adapter.sv} $kit/kit_tb_$block.sv"
defs="-DKIT_DUT_TOP=$top"
[ $no_params = 1 ] && defs="$defs -DKIT_DUT_NO_PARAMS"
[ -n "$dpi" ] && defs="$defs -DKIT_DPI"
for d in $defines; do defs="$defs -D$d"; done
tb="kit_tb_$block"
for p in $params; do
  case $sim in icarus) defs="$defs -P$tb.$p" ;; verilator) defs="$defs -G$p" ;; esac
done
incs="-I$vec -I$kit -I$root/rtl -I$root/rtl/sva"

now() { date +%s.%N; }
t0=$(now)
case $sim in
  icarus)
    # shellcheck disable=SC2086
    iverilog -g2012 $defs $incs -s "$tb" -o "$work/$tb.vvp" -c "$work/dut.f" $kit_files \
      > "$work/build.log" 2>&1 || { cat "$work/build.log"; die "iverilog failed"; }
    run() { vvp -n "$work/$tb.vvp" "$@"; }
    run_fst() { vvp -n "$work/$tb.vvp" -fst "$@"; }
    ;;
  verilator)
    # The protocol checker is bound to the adapter (contract ports), so
    # --assert checks any DUT; mambahw's own RTL adds its internal assertions.
    ldflags=""
    [ -n "$dpi" ] && ldflags="-LDFLAGS -Wl,-rpath,$(cd "$(dirname "$dpi")" && pwd) $dpi"
    # Verilator's runtime (verilated*.cpp) and an unchanged testbench compile
    # to the same objects every time: with ccache installed (OBJCACHE, read by
    # Verilator's makefile) a rebuild takes about a second instead of 15.
    if [ -z "${OBJCACHE+set}" ] && command -v ccache > /dev/null; then export OBJCACHE=ccache; fi
    # shellcheck disable=SC2086
    verilator --binary --timing --assert --trace-fst -O1 -Wno-fatal -Wno-lint -Wno-style $defs $incs \
      --top-module "$tb" -Mdir "$work/obj" -f "$work/dut.f" $kit_files \
      "$root/rtl/sva/valid_ready_checker.sv" "$kit/kit_bind.sv" $ldflags \
      > "$work/build.log" 2>&1 || { cat "$work/build.log"; die "verilator failed"; }
    run() { "$work/obj/V$tb" +verilator+error+limit+1000000 "$@"; }
    run_fst() { run "$@"; }
    ;;
esac
t1=$(now)
set -- +VECTORS="$vec" +SEED="$seed" +STALL="$stall" +GAP="$gap" +MAX_ERRORS="$max_errors"
run "$@" > "$work/kit.log" 2>&1 || true
t2=$(now)
cat "$work/kit.log"
awk -v a="$t0" -v b="$t1" -v c="$t2" -v s="$sim" 'BEGIN { printf "KIT TIMES: build %.1f s, run %.1f s (%s)\n", b - a, c - b, s }'

status=0
grep -q '^PASS' "$work/kit.log" || status=1
if grep -q 'ASSERT FAILED' "$work/kit.log"; then
  echo "FAIL: assertions failed (above)"
  status=1
fi
if [ $status = 1 ]; then
  first=$(sed -n 's/^KIT FIRST FAILURE cycle \([0-9]*\), last shown cycle \([0-9]*\)$/\1/p' "$work/kit.log")
  last=$(sed -n 's/^KIT FIRST FAILURE cycle \([0-9]*\), last shown cycle \([0-9]*\)$/\2/p' "$work/kit.log")
  if [ -z "$first" ]; then  # an assertion or a hang: the first assertion's time
    first=$(sed -n 's/^\[\([0-9]*\)\] %Error.*Assertion failed.*/\1/p' "$work/kit.log" | head -1)
    [ -n "$first" ] && first=$((first / 10000)) && last=$first
  fi
  if [ -n "$first" ]; then
    from=$((first > 50 ? first - 50 : 0))
    to=$((last + 50))
    [ $to -gt $((first + 5000)) ] && to=$((first + 5000))
    run_fst "$@" +DUMP_FROM=$from +DUMP_TO=$to +FST="$work/$block.fst" > "$work/waves.log" 2>&1 || true
    if [ -s "$work/$block.fst" ]; then
      echo "KIT WAVEFORM: $work/$block.fst (cycles $from to $to; gtkwave $work/$block.fst)"
    else
      echo "KIT WAVEFORM: not written (see $work/waves.log)"
    fi
  fi
fi
exit $status
