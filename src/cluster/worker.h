// Ranks 1..N-1: say hello, then run what the coordinator sends, in the order sent,
// until told to stop; then finish the running task, drop the queued ones, say bye.
// The worker is the catch boundary for jobs: an exception in a task becomes a failed
// result and the worker goes on; anything else is fatal and aborts the whole job.
#pragma once

#include "cluster/job_runner.h"

namespace clear_sweep {

struct WorkerOptions {
  double heartbeat_seconds = 10;  ///< while a task runs, tell the coordinator it is alive
};

/// Returns after Shutdown, once the running task has been reported.
void worker_run(JobRunner& runner, const WorkerOptions& options);

}  // namespace clear_sweep
