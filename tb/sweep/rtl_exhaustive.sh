#!/bin/sh
# The exhaustive RTL sweep (configs/sweeps/rtl-exhaustive.yaml: all 2^32
# inputs x 8 scales x 2 rounding modes, 256 shards) as the ctest
# rtl_exhaustive_sweep (label exhaustive): submitted as a Slurm job array to
# a single-node cluster started here (tb/sweep/slurm_cluster.sh), or, where
# Slurm cannot start, run on local workers (-j: all CPUs), which it says.
# The results directory persists, so an interrupted run resumes.
#   rtl_exhaustive.sh MAMBAHW RESULTS_DIR [SPEC] [extra mambahw sweep options]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mambahw=${1:?usage: rtl_exhaustive.sh MAMBAHW RESULTS_DIR [SPEC] [options]}
results=${2:?usage: rtl_exhaustive.sh MAMBAHW RESULTS_DIR [SPEC] [options]}
spec=${3:-$here/../../configs/sweeps/rtl-exhaustive.yaml}
[ $# -ge 3 ] && shift 3 || shift $#
cluster=$results.cluster
mkdir -p "$results" "$cluster"
if "$here/slurm_cluster.sh" start "$cluster" >"$cluster/start.log" 2>&1; then
  trap '"$here/slurm_cluster.sh" stop "$cluster"' EXIT
  echo "rtl_exhaustive: submitting $spec to the single-node Slurm cluster in $cluster"
  SLURM_CONF=$cluster/slurm.conf "$mambahw" sweep "$spec" --slurm --results "$results" "$@"
else
  echo "rtl_exhaustive: Slurm cannot start here ($(tail -1 "$cluster/start.log")): running on local workers"
  "$mambahw" sweep "$spec" --results "$results" "$@"
fi
