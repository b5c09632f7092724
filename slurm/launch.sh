# Sourced by sweep.sbatch and array.sbatch (not run): how ranks are started, and a log
# line per rank naming its host and GPUs, so that a GPU given to two ranks shows.
#
# In:  LAUNCHER   srun (PMIx) or mpirun (Open MPI, where `srun --mpi=list` has no PMIx;
#                 it reads the allocation from Slurm's environment)
# Out: launch     the launcher command, as an array
#      log_devices LABEL   one line per rank: "[LABELrank R] host CUDA_VISIBLE_DEVICES=... UUIDs"

case "$LAUNCHER" in
  srun) launch=(srun --mpi=pmix --kill-on-bad-exit=1) ;;
  mpirun) launch=(mpirun --bind-to none) ;;
  *) echo "LAUNCHER must be srun or mpirun, not '$LAUNCHER'" >&2; exit 2 ;;
esac

# mpirun sets OMPI_COMM_WORLD_RANK; its ranks inherit the batch step's SLURM_PROCID=0.
log_devices() {
  "${launch[@]}" bash -c 'echo "['"$1"'rank ${OMPI_COMM_WORLD_RANK:-${SLURM_PROCID:-?}}] $(hostname) \
CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-none} \
$(nvidia-smi --query-gpu=uuid --format=csv,noheader 2>/dev/null | paste -sd, || true)"' || true
}
