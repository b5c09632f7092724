// What `plan --ranks N` shows: the coordinator's schedule simulated on estimated costs.
#pragma once

#include <cstddef>
#include <vector>

#include "sweep/sweep_expand.h"

namespace clear_sweep {

struct WorkerLoad {
  int rank = 0;       ///< MPI rank; workers are 1..N-1
  size_t stages = 0;  ///< stage tasks it would run
  size_t jobs = 0;    ///< grid jobs it would run
  double busy = 0;    ///< estimated cost it would carry
};

struct SchedulePreview {
  int workers = 0;
  double total = 0;          ///< sum of all task costs
  double makespan = 0;       ///< estimated end of the last task
  double critical_path = 0;  ///< the longest dependency chain: no schedule ends sooner
  /// total / (workers * makespan): 1 means no worker ever idles.
  double efficiency = 1;
  std::vector<WorkerLoad> per_worker;
};

/// Simulates `ranks - 1` workers pulling from plan_task_queue(plan): each idle worker
/// (lowest rank first) takes the ready task of highest priority, exactly as the
/// coordinator hands them out. `ranks` counts the coordinator (rank 0), so >= 2.
SchedulePreview schedule_preview(const SweepPlan& plan, int ranks);

}  // namespace clear_sweep
