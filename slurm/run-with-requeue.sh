#!/usr/bin/env bash
# Runs a clear-sweep launch inside a Slurm batch job so that the job outlives its time
# limit and preemption. Used by sweep.sbatch and array.sbatch as
#
#     exec "$CLEAR_SWEEP_HOME/slurm/run-with-requeue.sh" LAUNCH COMMAND...
#
# (exec: this script becomes the batch shell, which is what --signal=B:... signals).
#
# 1. Runs the command in the background and waits for it.
# 2. On SIGUSR1, SIGUSR2 or SIGTERM (Slurm's warning before the limit, or scancel
#    --signal=... --batch) it forwards the signal to the launcher (srun and mpirun pass
#    it to every rank; the coordinator stops handing out work, lets running jobs finish
#    within --grace, flushes and exits 75; workers ignore it).
# 3. On exit 75 ("interrupted, resumable") it requeues the job with scontrol, unless
#    SLURM_RESTART_COUNT has reached MAX_RESTARTS; the requeued job runs the same
#    command and resumes from the results file. Any other exit code is final: 0 (every
#    job done), 1 (done, some jobs failed: see `clear-sweep status`), 2 (bad input).
#
# 4. On exit 0 it runs VERIFY_COMMAND, if set (the sbatch scripts set it to
#    `clear-sweep status OUT --require-complete`): a launcher can report success for a
#    step that never ran (seen with srun after a requeue), so "done" is checked in the
#    results file; a sweep that is not complete counts as interrupted and requeues.
#
# Environment: MAX_RESTARTS (default 5), VERIFY_COMMAND (default none).
set -uo pipefail

max_restarts="${MAX_RESTARTS:-5}"
restart="${SLURM_RESTART_COUNT:-0}"
log() { echo "[slurm $(date -u +%Y-%m-%dT%H:%M:%SZ)] job ${SLURM_JOB_ID:-?} (restart $restart): $*"; }

child=""
signalled=0
forward() {
  signalled=1
  log "SIG$1 received: forwarding it to the sweep (it finishes running jobs, flushes, exits 75)"
  [[ -n "$child" ]] && kill -s "$1" "$child" 2>/dev/null
}
trap 'forward USR1' USR1
trap 'forward USR2' USR2
trap 'forward TERM' TERM

log "starting on ${SLURM_JOB_NODELIST:-$(hostname)}: $*"
"$@" &
child=$!
# A trapped signal interrupts `wait` (status 128+n): wait again, until a wait ends
# because the sweep did. bash keeps an unwaited child's status, so a sweep that exits
# right as a signal arrives still reports its own exit code.
while true; do
  signalled=0
  wait "$child"
  rc=$?
  ((signalled)) || break
done

if ((rc == 0)) && [[ -n "${VERIFY_COMMAND:-}" ]]; then
  # shellcheck disable=SC2086  # a command line
  if ! $VERIFY_COMMAND >/dev/null; then
    log "the launcher reported success but the results are not complete ($VERIFY_COMMAND): treating as interrupted"
    rc=75
  fi
fi

case "$rc" in
  0) log "sweep complete" ;;
  75)
    if ((restart < max_restarts)); then
      log "sweep interrupted, resumable: requeueing (restart $((restart + 1)) of $max_restarts)"
      scontrol requeue "$SLURM_JOB_ID"
      exit 0
    fi
    log "sweep interrupted and the requeue limit ($max_restarts) is reached: resubmit to go on"
    ;;
  *) log "sweep ended with exit code $rc" ;;
esac
exit "$rc"
