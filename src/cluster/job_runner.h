// What a worker does with a task. The worker owns the loop, the timing, the status and
// the catch boundary; a runner only does the work. `noop` and `--dry-run` runners live
// here; ModelRunner (model_runner.h, built into the model module) plugs in the same way.
#pragma once

#include <string>

#include "store/result_record.h"
#include "sweep/job.h"
#include "sweep/stage.h"

namespace clear_sweep {

class JobRunner {
 public:
  virtual ~JobRunner() = default;
  /// What this runner computes on, for logs ("cpu", "cuda:0 ...").
  virtual std::string device() const = 0;
  /// Makes the stage's artifact (or finds it made). Throws on failure.
  virtual void run_stage(const Stage& stage) = 0;
  /// Runs one job and returns its metrics, vectors, timings and counters. The worker
  /// fills in the job's fields, status, host, rank and wall time. Throws on failure.
  virtual ResultRecord run_job(const Job& job) = 0;
};

}  // namespace clear_sweep
