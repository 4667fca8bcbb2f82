#!/bin/sh
# Re-synthesizes every block listed in model/cost/include/mambahw/cost/synthesis.hpp
# (lines "inline constexpr SynthesisGates kName{"block", "params", nand2_eq, logic_nand2_eq};")
# with rtl/synth/synth.sh and fails unless yosys reports the same NAND2-eq
# counts. ctest cost_synthesis_gates (labels synth, long).
#   check_synthesis_gates.sh SYNTH_SH HEADER OUTDIR
set -eu
[ $# -eq 3 ] || { echo "usage: check_synthesis_gates.sh SYNTH_SH HEADER OUTDIR" >&2; exit 2; }
synth=$1 header=$2 out=$3
lines=$(sed -n 's/^inline constexpr SynthesisGates \(k[A-Za-z0-9]*\){"\([a-z_]*\)", "\([^"]*\)", \([0-9]*\), \([0-9]*\)};$/\1 \2 \4 \5 \3/p' "$header")
[ -n "$lines" ] || { echo "no SynthesisGates entries found in $header" >&2; exit 1; }
fail=0 n=0
echo "$lines" | {
  while read -r name block ge logic params; do
    n=$((n + 1))
    dir="$out/$name"
    # shellcheck disable=SC2086
    json=$("$synth" "$block" "$dir" $params | tail -1)
    what="$block${params:+ $params}"
    got_ge=$(echo "$json" | sed -n 's/.*"nand2_eq": \([0-9]*\).*/\1/p')
    got_logic=$(echo "$json" | sed -n 's/.*"logic_nand2_eq": \([0-9]*\).*/\1/p')
    if [ "$got_ge" = "$ge" ] && [ "$got_logic" = "$logic" ]; then
      echo "ok   $name ($what): $ge NAND2-eq, $logic logic"
    else
      echo "FAIL $name ($what): synthesis gives $got_ge NAND2-eq / $got_logic logic, synthesis.hpp says $ge / $logic"
      fail=1
    fi
  done
  [ "$fail" -eq 0 ] || exit 1
  echo "$n blocks agree with synthesis.hpp"
}
