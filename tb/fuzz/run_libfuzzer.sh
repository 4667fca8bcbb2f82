#!/bin/sh
# One libFuzzer run of a fuzz target (the MAMBAHW_FUZZ build):
#   [FUZZ_RUNS=N] run_libfuzzer.sh TARGET SECONDS WORK_DIR CORPUS_DIR...
# SECONDS 0: no time limit; FUZZ_RUNS: stop after N executions.
# New inputs go to WORK_DIR (never into the source tree); the seed and
# regression corpora are read only. Findings are written to WORK_DIR/crashes/.
# Memory: 100 MB per allocation (the configs' limit), 2 GB RSS with ASan.
set -eu
# The targets' scratch directories on tmpfs where there is one: file system
# calls on a virtual disk cost up to 25x the executions per second.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
target=$1 seconds=$2 work=$3
shift 3
mkdir -p "$work/corpus" "$work/crashes"
exec "$target" -max_total_time="$seconds" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} -malloc_limit_mb=100 -rss_limit_mb=2048 -timeout=10 \
  -print_final_stats=1 -artifact_prefix="$work/crashes/" "$work/corpus" "$@"
