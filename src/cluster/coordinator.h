// Rank 0: hands tasks to workers as they ask (pull-based, longest first, stages before
// the jobs that need them), stores every result through the ResultsStore, shows
// progress, and ends the sweep: when the work is done, or early on a stop signal.
#pragma once

#include <ostream>
#include <string>

#include "common/exit_codes.h"
#include "store/results_store.h"
#include "sweep/sweep_expand.h"
#include "sweep/sweep_spec.h"

namespace clear_sweep {

struct CoordinatorOptions {
  bool retry_failed = false;    ///< also rerun jobs stored as failed
  double grace_seconds = 60;    ///< after a stop signal, how long running jobs may finish
  double progress_seconds = 5;  ///< how often progress is printed (0: never)
  bool quiet = false;           ///< no progress lines, only the final summary
  std::string log_json_path;    ///< JSON-lines event log ("" for none)
  bool dry_run = false;         ///< results are a rehearsal (see NoopRunner)
  /// Tasks a worker holds beyond the one it runs: the next starts the moment one ends,
  /// hiding the round trip to the coordinator (it matters for short jobs).
  int prefetch = 1;
  /// Seconds a job may run before its rank is taken for hung (a stuck kernel, a deadlock,
  /// an NFS hang). 0: automatic, job_timeout_factor x the job's cost at the seconds per
  /// cost unit the finished jobs took (once 3 have), at least job_timeout_floor.
  double job_timeout = 0;
  double job_timeout_factor = 10;
  double job_timeout_floor = 600;
};

/// The context hash results of this sweep are stored under: a dry run's rows are a
/// rehearsal and must never pass for (or mix with) real results.
std::string results_context(const SweepSpec& spec, bool dry_run);

/// Runs the sweep to its end on MPI_COMM_WORLD's ranks 1..N-1. Returns kExitOk when
/// every job succeeded, kExitFailure when some failed, kExitInterrupted when stopped.
/// When a job passed its time limit, it stores the job as failed, gives that rank no
/// more work, lets the others finish, and ends every rank with MPI_Abort(kExitHungWorker).
int coordinator_run(const SweepSpec& spec, const SweepPlan& plan, ResultsStore& store,
                    const CoordinatorOptions& options, std::ostream& log);

}  // namespace clear_sweep
