// The worker pipeline for model sweeps (DESIGN.md section 1). On its first task a worker
// loads the dataset and, once the base stage exists, the base model, and keeps them.
// Each job attaches fresh LoRA adapters to the shared base, unlearns with its method,
// modality, hyperparameters, forget fraction and seed, evaluates every set, compares
// the forget truth ratios with the gold model of its fraction (computed once per
// fraction and modality, then reused), and returns one record with every metric,
// per-item vectors, timings, tokens and peak memory. Built into the model module only
// (libtorch); this header is torch-free.
#pragma once

#include <memory>
#include <string>

#include "cluster/device_binding.h"
#include "cluster/job_runner.h"
#include "sweep/sweep_spec.h"

namespace clear_sweep {

class ModelRunner : public JobRunner {
 public:
  ModelRunner(SweepSpec spec, std::string artifacts, DeviceBinding binding);
  ~ModelRunner() override;
  std::string device() const override;
  void run_stage(const Stage& stage) override;
  ResultRecord run_job(const Job& job) override;

 private:
  ResultRecord run_job_unguarded(const Job& job);
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace clear_sweep
