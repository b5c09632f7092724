// What a worker does with a task. The worker owns the loop, the timing, the status and
// the catch boundary; a runner only does the work. `noop` and `--dry-run` runners live
// here; the model runners (pipeline/: VlmRunner, FaceRunner, built into the model
// module) plug in the same way.
#pragma once

#include <functional>
#include <string>

#include "store/result_record.h"
#include "sweep/job.h"
#include "sweep/stage.h"

namespace clear_sweep {

/// Where a runner says how far its task has got: a phase ("epoch 3/12, loss 1.234,
/// 41 s/epoch") and the fraction of the task done (0..1; < 0 when it cannot say). Called
/// on the task's thread; the worker sends the latest to the coordinator, which shows it
/// in the progress line and calibrates the ETA with it.
using ProgressSink = std::function<void(const std::string& phase, double fraction)>;

class JobRunner {
 public:
  virtual ~JobRunner() = default;
  /// Set by the worker before the first task.
  void set_progress_sink(ProgressSink sink) { progress_ = std::move(sink); }
  /// What this runner computes on, for logs ("cpu", "cuda:0 ...").
  virtual std::string device() const = 0;
  /// Makes the stage's artifact (or finds it made). Throws on failure.
  virtual void run_stage(const Stage& stage) = 0;
  /// Runs one job and returns its metrics, vectors, timings and counters. The worker
  /// fills in the job's fields, status, host, rank and wall time. Throws on failure.
  virtual ResultRecord run_job(const Job& job) = 0;

 protected:
  void report_progress(const std::string& phase, double fraction) const {
    if (progress_) progress_(phase, fraction);
  }

 private:
  ProgressSink progress_;
};

}  // namespace clear_sweep
