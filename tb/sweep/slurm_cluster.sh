#!/bin/sh
# A single-node Slurm cluster on localhost for the sweep tests: munged,
# slurmctld and slurmd (Debian's munge and slurm-wlm, installed by
# tools/install-deps.sh), every file of theirs in DIR, on ports of their own,
# so it runs beside nothing and leaves nothing behind.
#
#   slurm_cluster.sh start DIR   start the daemons; prints the SLURM_CONF to export;
#                                exit 77 (with the reason) where Slurm cannot start here
#   slurm_cluster.sh stop DIR    stop the daemons started from DIR (by their pid files)
set -eu

cmd=${1:?usage: slurm_cluster.sh start|stop DIR}
dir=${2:?usage: slurm_cluster.sh start|stop DIR}

skip() { echo "slurm_cluster: cannot start Slurm here: $*" >&2; exit 77; }

stop() {
  for d in slurmd slurmctld munged; do
    if [ -f "$dir/$d.pid" ]; then
      pid=$(cat "$dir/$d.pid")
      kill "$pid" 2>/dev/null || true
      i=0
      while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/$d.pid"
    fi
  done
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { echo "usage: slurm_cluster.sh start|stop DIR" >&2; exit 2; }

for p in munged mungekey slurmctld slurmd sbatch sinfo; do
  command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] || skip "$p is not installed (tools/install-deps.sh installs munge and slurm-wlm)"
done
[ "$(id -u)" -eq 0 ] || skip "the test cluster runs its daemons as root (slurmd must start jobs as the submitting user)"
PATH=$PATH:/usr/sbin
mkdir -p "$dir/state" "$dir/spool"
chmod 700 "$dir"
rm -f "$dir/munge.key"
mungekey --create --keyfile="$dir/munge.key" >/dev/null 2>&1 || skip "mungekey failed"
chmod 600 "$dir/munge.key"
munged --force --socket="$dir/munge.sock" --key-file="$dir/munge.key" --log-file="$dir/munged.log" \
  --pid-file="$dir/munged.pid" --seed-file="$dir/munged.seed" >"$dir/munged.out" 2>&1 \
  || skip "munged did not start: $(cat "$dir/munged.out")"

# Two free ports, asked of the kernel.
ports=$(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))')
set -- $ports
cpus=$(nproc)
cat >"$dir/slurm.conf" <<CONF
ClusterName=mambahw-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$1
SlurmdPort=$2
AuthType=auth/munge
AuthInfo=socket=$dir/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -c -f "$SLURM_CONF" >"$dir/slurmctld.out" 2>&1 || { stop; skip "slurmctld did not start: $(tail -5 "$dir/slurmctld.log" 2>/dev/null)"; }
slurmd -N localhost -f "$SLURM_CONF" >"$dir/slurmd.out" 2>&1 || { stop; skip "slurmd did not start: $(tail -5 "$dir/slurmd.log" 2>/dev/null)"; }
# Wait (at most 30 s) until the node is idle.
i=0
until sinfo -h -N -o %t 2>/dev/null | grep -q '^idle'; do
  i=$((i + 1))
  if [ $i -ge 60 ]; then
    state=$(sinfo -h -N -o '%t %E' 2>&1 || true)
    stop
    skip "the node did not become idle in 30 s (sinfo: $state; $(tail -3 "$dir/slurmd.log" 2>/dev/null))"
  fi
  sleep 0.5
done
echo "SLURM_CONF=$SLURM_CONF"
