#!/bin/sh
# One libFuzzer run of a fuzz target (the MAMBAHW_FUZZ build):
#   run_libfuzzer.sh TARGET SECONDS WORK_DIR CORPUS_DIR...
# New inputs go to WORK_DIR (never into the source tree); the seed and
# regression corpora are read only. Findings are written to WORK_DIR/crashes/.
# Memory: 100 MB per allocation (the configs' limit), 2 GB RSS with ASan.
set -eu
target=$1 seconds=$2 work=$3
shift 3
mkdir -p "$work/corpus" "$work/crashes"
exec "$target" -max_total_time="$seconds" -malloc_limit_mb=100 -rss_limit_mb=2048 -timeout=10 \
  -print_final_stats=1 -artifact_prefix="$work/crashes/" "$work/corpus" "$@"
