// Exit codes of clear-sweep, documented in README.md. Scripts (and Slurm requeue logic)
// branch on them, so they never change meaning.
#pragma once

namespace clear_sweep {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   ///< the command ran and some work failed
inline constexpr int kExitBadInput = 2;  ///< bad flags, sweep file or data; nothing was written
inline constexpr int kExitInternal = 3;  ///< a bug in clear-sweep (an internal check failed)
/// `run`: a job ran past its time limit, so its rank was taken for hung. The job is
/// stored as failed, the other ranks finished the sweep, and MPI_Abort ended the run
/// (the only way to end a rank that is stuck). Rerun to run what was left.
inline constexpr int kExitHungWorker = 4;
/// `run` stopped by a signal before the sweep finished: rerun the same command to resume
/// (EX_TEMPFAIL of sysexits.h). slurm/ scripts requeue on it.
inline constexpr int kExitInterrupted = 75;

}  // namespace clear_sweep
