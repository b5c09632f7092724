// The built-in `noop` method: sleeps `seconds` per epoch it trains, fails with
// probability `fail_rate` and hangs forever with probability `hang_rate` (each decided by
// a hash of the job id, so the same job does the same every time), and returns pseudo-metrics derived from the job id,
// except model_utility: a learning curve in (x, y, epochs) with a known optimum, which the search's tests and benchmark
// climb. It is how tests and the scheduler benchmark drive the cluster layer without a model.
//
// In dry-run mode (`run --dry-run`) every method runs as noop and stages write marker
// files instead of models: the whole pipeline - MPI, scheduling, stage order, results
// file - is exercised on a cluster allocation before it burns GPU hours. A job whose
// stage marker is missing throws: a violated dependency cannot pass unnoticed.
#pragma once

#include <string>

#include "cluster/device_binding.h"
#include "cluster/job_runner.h"

namespace clear_sweep {

class NoopRunner : public JobRunner {
 public:
  /// `artifacts_dir`: where dry-run stage markers go (unused by plain noop sweeps).
  NoopRunner(bool dry_run, std::string artifacts_dir, DeviceBinding binding = {}, double stage_seconds = 0.2);
  std::string device() const override { return binding_.text() + " (noop)"; }
  void run_stage(const Stage& stage) override;
  ResultRecord run_job(const Job& job) override;

 private:
  bool dry_run_;
  std::string artifacts_dir_;
  DeviceBinding binding_;
  double stage_seconds_;
};

/// A number in [0, 1) fixed by `key`: the noop's failures and pseudo-metrics.
double noop_uniform(const std::string& key);

/// The synthetic learning curve: q(x, y) (1 - exp(-epochs / tau(x))), with
/// u = log10(x), q = 1 - 0.15 (u + 2)^2 - 2 (y - 0.7)^2 and tau = 1.5 x 10^(-(u + 2) / 4).
/// Its maximum over x, y is at x = 0.01, y = 0.7, where it tends to 1; a larger x learns
/// faster but plateaus lower, so curves cross, as learning rates' do. bench/search
/// computes the same curve for the peers it runs.
double noop_learning_curve(double x, double y, double epochs);

}  // namespace clear_sweep
