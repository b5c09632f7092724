// Exit codes of clear-sweep, documented in README.md. Scripts (and Slurm requeue logic)
// branch on them, so they never change meaning.
#pragma once

namespace clear_sweep {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   ///< the command ran and some work failed
inline constexpr int kExitBadInput = 2;  ///< bad flags, sweep file or data; nothing was written
inline constexpr int kExitInternal = 3;  ///< a bug in clear-sweep (an internal check failed)
/// `run` stopped by a signal before the sweep finished: rerun the same command to resume
/// (EX_TEMPFAIL of sysexits.h). slurm/ scripts requeue on it.
inline constexpr int kExitInterrupted = 75;

}  // namespace clear_sweep
