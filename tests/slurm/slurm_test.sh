#!/usr/bin/env bash
# The Slurm scripts under a real Slurm: starts munged, slurmctld and slurmd on this
# machine (a one-node cluster configured in a temporary folder, non-default ports), then
#   1. sweep.sbatch on a noop sweep: every job stored once, the log names each rank;
#   2. array.sbatch as 3 shards, merged: the whole grid, once;
#   3. preemption: `scancel --signal=USR1 --batch` mid-sweep; the job drains, requeues
#      itself and finishes the sweep exactly once per job id.
# Stops every daemon it started (by pid) however it ends. Needs root (munged, slurmd).
# Usage: tests/slurm/slurm_test.sh BUILD_DIR
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "[slurm-test] skipped: starting munged and slurmd needs root"
  exit 77  # ctest: skipped
fi
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="$(cd "${1:?usage: slurm_test.sh BUILD_DIR}" && pwd)"
bin="$build/clear-sweep"
work="$(mktemp -d /tmp/clear-sweep-slurm-XXXXXX)"
export SLURM_CONF="$work/slurm.conf"
host="$(hostname -s)"
pids=()

say() { echo "[slurm-test $(date +%T)] $*"; }
fail() {
  say "FAILED: $*"
  for f in "$work"/*.log "$work"/slurmctld.out "$work"/slurmd.out; do
    [[ -f "$f" ]] && { echo "----- $f"; tail -n 40 "$f"; }
  done
  exit 1
}
cleanup() {
  for pidfile in "$work/slurmd.pid" "$work/slurmctld.pid" "$work/munge/munged.pid"; do
    [[ -f "$pidfile" ]] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT

# --- munge: authentication between the daemons and the clients ------------------------
chmod 755 "$work"  # munged runs as the munge user: it must reach its folder
mkdir -p "$work/munge" /run/munge
[[ -f /etc/munge/munge.key ]] || mungekey -c >/dev/null 2>&1 || mungekey --create
chown munge:munge "$work/munge" /run/munge /etc/munge/munge.key 2>/dev/null || true
socket="$work/munge/munge.socket"
runuser -u munge -- munged --socket="$socket" --pid-file="$work/munge/munged.pid" \
  --log-file="$work/munge/munged.log" --seed-file="$work/munge/seed" --force || fail "munged did not start"
export MUNGE_SOCKET="$socket"  # not read by Slurm; AuthInfo below tells it where

# --- a one-node cluster ---------------------------------------------------------------
mem_mb=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
cat >"$SLURM_CONF" <<CONF
ClusterName=clear-sweep-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.out
SlurmdLogFile=$work/slurmd.out
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobRequeue=1
MinJobAge=600
SchedulerParameters=defer_batch
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem_mb State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
mkdir -p "$work/state" "$work/spool"
# Addresses are loopback: a fresh machine's host name need not resolve.
slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
slurmd -f "$SLURM_CONF" || fail "slurmd did not start"
for _ in $(seq 60); do
  sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed" && break
  sleep 1
done
sinfo -h -o %T | grep -qE "idle|mixed" || fail "the node never became idle"
say "slurm up: $(sinfo -h -o '%P %D %T %c')"

# --- helpers --------------------------------------------------------------------------
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export CLEAR_SWEEP_HOME="$repo" CLEAR_SWEEP="$bin" LAUNCHER="${LAUNCHER:-srun}"
# Resources for a 2-core test node; the scripts' own headers ask for GPU nodes. The
# limit must exceed the scripts' warning lead (--signal=B:USR1@600), or Slurm signals
# at once.
small=(--nodes=1 --ntasks=3 --overcommit --cpus-per-task=1 --mem-per-cpu=200 --gres=none --time=60 --chdir="$repo")

noop_sweep() {  # name jobs seconds
  {
    echo "name = \"$1\""
    echo '[grid]'
    echo 'method = ["noop"]'
    echo 'modality = ["text"]'
    echo 'forget_fraction = [5]'
    echo "seed = [$(seq -s, 0 $(($2 - 1)))]"
    echo '[grid.hparams.noop]'
    echo "seconds = [$3]"
  } >"$work/$1.toml"
  echo "$work/$1.toml"
}
job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1; }
restarts() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p' | head -n 1; }
wait_done() {  # job_id timeout_seconds
  for _ in $(seq "$2"); do
    case "$(job_state "$1")" in
      COMPLETED) return 0 ;;
      FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) fail "job $1 ended $(job_state "$1")" ;;
    esac
    sleep 1
  done
  fail "job $1 not done after $2 s (state $(job_state "$1"))"
}
stored_line() { "$bin" status "$1" | sed -n 's/^  jobs stored: //p'; }

# --- 1. one MPI job ---------------------------------------------------------------------
sweep=$(noop_sweep sweep 12 0.05)
id=$(SWEEP="$sweep" OUT="$work/sweep.h5" sbatch --parsable "${small[@]}" --output="$work/sweep-%j.log" \
  "$repo/slurm/sweep.sbatch")
say "sweep.sbatch submitted as job $id"
wait_done "$id" 180
got=$(stored_line "$work/sweep.h5")
[[ "$got" == "12 (ok 12, failed 0) of 12 in the grid, 0 to run" ]] || fail "sweep.sbatch stored: $got"
grep -q "sweep complete" "$work/sweep-$id.log" || fail "no 'sweep complete' in the log"
grep -q "\[rank 2\]" "$work/sweep-$id.log" || fail "the log does not name each rank's device"
grep -q "requeueing" "$work/sweep-$id.log" && fail "a finished sweep requeued"
say "1/3 sweep.sbatch: 12 jobs stored once, no requeue"

# --- 2. a job array of shards, merged -----------------------------------------------------
sweep=$(noop_sweep shards 30 0.02)
id=$(SWEEP="$sweep" OUT_DIR="$work" sbatch --parsable "${small[@]}" --ntasks=2 --array=0-2 \
  --output="$work/array-%A_%a.log" "$repo/slurm/array.sbatch")
say "array.sbatch submitted as job array $id"
for task in 0 1 2; do wait_done "${id}_$task" 180; done
total=0
for task in 0 1 2; do
  line=$(stored_line "$work/shards.shard-$task-of-3.h5")
  [[ "$line" =~ ^([0-9]+)\ \(ok\ [0-9]+,\ failed\ 0\)\ of\ ([0-9]+)\ in\ the\ grid\ \(shard\ $task/3\),\ 0\ to\ run$ ]] ||
    fail "shard $task stored: $line"
  total=$((total + BASH_REMATCH[1]))
done
((total == 30)) || fail "the shards hold $total jobs, not 30"
"$bin" merge "$work/shards.h5" "$work"/shards.shard-*-of-3.h5
got=$(stored_line "$work/shards.h5")
[[ "$got" == "30 (ok 30, failed 0) of 30 in the grid, 0 to run" ]] || fail "merged shards: $got"
say "2/3 array.sbatch: 3 shards hold 30 distinct jobs; merged, the whole grid"

# --- 3. preemption: warning signal mid-sweep, drain, requeue, resume ------------------------
sweep=$(noop_sweep preempt 40 0.4)
id=$(SWEEP="$sweep" OUT="$work/preempt.h5" GRACE=30 sbatch --parsable "${small[@]}" \
  --output="$work/preempt-%j.log" "$repo/slurm/sweep.sbatch")
say "preemption: job $id submitted"
for _ in $(seq 180); do
  n=$("$bin" status "$work/preempt.h5" 2>/dev/null | sed -n 's/^  jobs stored: \([0-9]*\).*/\1/p' || true)
  [[ -n "$n" ]] && ((n >= 6)) && break
  sleep 0.5
done
[[ -n "${n:-}" ]] && ((n >= 6 && n < 40)) || fail "the sweep never got under way (stored: ${n:-none})"
scancel --signal=USR1 --batch "$id"
say "preemption: sent USR1 to the batch script after $n jobs"
# Done when the requeued run (restart 1) says so: job states pass through COMPLETED
# while the first run ends and Slurm requeues it, so they cannot tell.
# Slurm holds a requeued job for about two minutes (Reason=BeginTime) while the old
# one is cleaned up; releasing it early makes its first srun step collide with the old
# one's, so the test waits like a real job does.
log="$work/preempt-$id.log"
for _ in $(seq 400); do
  grep -q "restart 1): sweep complete" "$log" 2>/dev/null && break
  sleep 1
done
[[ "$(restarts "$id")" == "1" ]] || fail "the job did not requeue (restarts: $(restarts "$id"), state $(job_state "$id"))"
wait_done "$id" 240
grep -q "SIGUSR1 received: forwarding" "$log" || fail "the signal was not forwarded"
grep -q "requeueing (restart 1 of 5)" "$log" || fail "no requeue in the log"
grep -q "stopped early: rerun the same command to resume" "$log" || fail "the sweep did not drain"
grep -q "restart 1): sweep complete" "$log" || fail "the requeued job did not finish the sweep"
got=$(stored_line "$work/preempt.h5")
[[ "$got" == "40 (ok 40, failed 0) of 40 in the grid, 0 to run" ]] || fail "after requeue: $got"
say "3/3 preemption: drained at the signal, requeued once, 40 jobs stored once"
say "all passed"
