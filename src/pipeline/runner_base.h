// What the model module's two runners (VlmRunner, FaceRunner) share: the device bound
// to the rank, the plan's stages, the dataset loaded once, model-free methods handed to
// the noop runner, CUDA errors that break the device's context turned into the rank's
// end (running out of memory only fails the task, naming the memory), the "[worker]"
// log, and the reference rows every job carries.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cluster/device_binding.h"
#include "cluster/job_runner.h"
#include "cluster/noop_runner.h"
#include "data/dataset_source.h"
#include "store/result_record.h"
#include "sweep/stage.h"
#include "sweep/sweep_spec.h"

namespace clear_sweep {

/// The leaderboard's Original and Gold rows: every metric in metric_columns order.
struct ReferenceRows {
  std::vector<double> original, gold;
};

class RunnerBase : public JobRunner {
 public:
  /// `stages`: the plan's, as the coordinator expanded it.
  RunnerBase(SweepSpec spec, std::vector<Stage> stages, std::string artifacts, DeviceBinding binding);
  std::string device() const override { return binding_.text(); }
  void run_stage(const Stage& stage) final;
  /// Model-free methods (noop) run as the noop runner runs them; the rest by
  /// run_model_job.
  ResultRecord run_job(const Job& job) final;

 protected:
  virtual void run_model_stage(const Stage& stage) = 0;
  virtual ResultRecord run_model_job(const Job& job) = 0;

  /// The plan's stage of `kind`: the base, the gold of `fraction`, the shadow model
  /// `shadow_index`.
  const Stage& stage(StageKind kind, double fraction = 0, int64_t shadow_index = -1) const;
  /// The dataset, loaded on first use and kept.
  const LoadedData& data();
  /// One line of the run's output: "[worker] line".
  static void log(const std::string& line);
  /// "unlearn epoch 3/5, loss 0.1234"
  static std::string epoch_text(const std::string& what, int64_t epoch, int64_t epochs, double loss);
  /// A row of every metric column, NaN but the given ones.
  static std::vector<double> column_row(const std::map<std::string, double>& values);
  /// The reference rows, kept with every job of a fraction so that any file or shard
  /// carries its own; and the process's peak resident memory.
  static void finish_record(ResultRecord& record, const ReferenceRows& references);

  SweepSpec spec_;
  std::vector<Stage> stages_;
  std::string artifacts_;
  DeviceBinding binding_;
  torch::Device device_ = torch::kCPU;

 private:
  NoopRunner noop_{false, ""};
  std::unique_ptr<LoadedData> data_;
};

}  // namespace clear_sweep
