#!/bin/sh
# Runs CACTI 7 on every macro configuration of one node directory and prints
# the `points:` entries of that node's technology table (docs/cost-model.md,
# "Reproducing the SRAM tables"; README.md beside this script).
#
#   regenerate.sh /path/to/cacti 28nm
#
# Per macro: read/write energy per access (CACTI's "Total dynamic read/write
# energy per access", nJ -> pJ), the data array's area (mm2), access time
# (ns) and standby leakage ("Total leakage power of a bank", mW), rounded to
# 3 significant digits as the tables hold them. A narrow (16-bit) macro gives
# its read energy, area and leakage only, as the shipped tables do.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 CACTI_BINARY NODE_DIR (e.g. 28nm)" >&2; exit 2; }
cacti=$1 node=$2
here=$(cd "$(dirname "$0")" && pwd)
cactidir=$(cd "$(dirname "$cacti")" && pwd)  # CACTI reads tech_params/ from its own directory
for cfg in $(ls "$here/$node"/ram-*.cfg | sort -t- -k2 -n); do
  base=$(basename "$cfg" .cfg)
  bytes=${base#ram-}; bytes=${bytes%%B-*}
  width=${base##*B-}; width=${width%b}
  out=$(cd "$cactidir" && "$cacti" -infile "$cfg") || { echo "CACTI failed on $cfg" >&2; exit 1; }
  rm -f "$cfg.out"  # CACTI's own copy of its report, written beside the input
  field() { printf '%s\n' "$out" | grep -m1 "$1" | sed 's/.*: *//'; }
  read_nj=$(field "Total dynamic read energy per access")
  write_nj=$(field "Total dynamic write energy per access")
  area=$(field "Data array: Area (mm2)")
  access=$(field "Access time (ns)")
  leak=$(field "Total leakage power of a bank (mW)")
  [ -n "$read_nj" ] && [ -n "$area" ] && [ -n "$leak" ] || { echo "no result in CACTI's output for $cfg" >&2; exit 1; }
  awk -v c="$bytes" -v w="$width" -v r="$read_nj" -v wr="$write_nj" -v a="$area" -v t="$access" -v l="$leak" 'BEGIN {
    if (w == 64)
      printf "    - {capacity_bytes: %d, width_bits: %d, read_pj: %.3g, write_pj: %.3g, area_mm2: %.3g, access_ns: %.2g, leakage_mw: %.3g}\n", c, w, r * 1000, wr * 1000, a, t, l
    else
      printf "    - {capacity_bytes: %d, width_bits: %d, read_pj: %.3g, area_mm2: %.3g, leakage_mw: %.3g}\n", c, w, r * 1000, a, l
  }'
done
