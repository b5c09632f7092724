// The worker pipeline of CLEAR's visual benchmark (preset resnet18-faces): stages train
// ResNets (faces/face_stage.h); a job unlearns the base model with its method, scores
// Table 2's accuracies by nearest centroid, and, with shadow_models = N, unlearns the 4N
// shadow models the same way and runs U-MIA and U-LIRA on them. Every job row carries
// the Original and Gold reference rows of its fraction. Built into the model module
// (libtorch); this header is torch-free.
#pragma once

#include <memory>
#include <string>

#include "cluster/device_binding.h"
#include "cluster/job_runner.h"
#include "sweep/sweep_spec.h"

namespace clear_sweep {

class FaceRunner : public JobRunner {
 public:
  FaceRunner(SweepSpec spec, std::string artifacts, DeviceBinding binding);
  ~FaceRunner() override;
  std::string device() const override;
  void run_stage(const Stage& stage) override;
  ResultRecord run_job(const Job& job) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace clear_sweep
