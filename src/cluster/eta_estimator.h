// The time a sweep has left, from the cost model (job_cost.h) calibrated by the work
// done so far. Stages and jobs are calibrated apart: their estimates err differently
// (a dry run's stages sleep a fixed time whatever their cost). Before any task of a
// kind finishes, the running ones' reported progress (epoch k of n) calibrates it, so
// the first minutes of finetuning already give an ETA.
#pragma once

#include <cmath>
#include <vector>

namespace clear_sweep {

enum class TaskKind { stage, job };

/// A task being run: its estimated cost, how long it has run, and the fraction of it
/// done as its worker last reported (NaN: not reported), `fraction_at` seconds into it.
struct RunningTask {
  TaskKind kind = TaskKind::job;
  double cost = 0;
  double elapsed = 0;
  double fraction = NAN;
  double fraction_at = 0;
};

/// A task not started yet.
struct PendingTask {
  TaskKind kind = TaskKind::job;
  double cost = 0;
};

class EtaEstimator {
 public:
  /// A task of this run finished after `seconds` (tasks stored before the run do not
  /// count: they took no time now).
  void finished(TaskKind kind, double cost, double seconds);

  /// Seconds per unit of cost: measured on finished tasks of the kind; else estimated
  /// from running ones' progress; else the other kind's; NaN when nothing is known.
  double seconds_per_cost(TaskKind kind, const std::vector<RunningTask>& running) const;

  /// Seconds until the last task ends on `workers` workers: each finishes its running
  /// task (its estimate less the time it has run), then the pending tasks are dealt,
  /// stages first and the costliest first (as the coordinator does), each to the worker
  /// free soonest. NaN when nothing calibrates the estimate yet.
  double seconds_left(const std::vector<RunningTask>& running, const std::vector<PendingTask>& pending,
                      int workers) const;

 private:
  struct Sums {
    double cost = 0, seconds = 0;
  };
  Sums done_[2];
};

}  // namespace clear_sweep
