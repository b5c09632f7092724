// The worker pipeline of CLEAR's visual benchmark (preset resnet18-faces): stages train
// ResNets (faces/face_stage.h); a job unlearns the base model with its method, scores
// Table 2's accuracies by nearest centroid, and, with shadow_models = N, unlearns the 4N
// shadow models the same way and runs U-MIA and U-LIRA on them. Every job row carries
// the Original and Gold reference rows of its fraction.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "faces/face_images.h"
#include "faces/face_methods.h"
#include "faces/face_model.h"
#include "pipeline/runner_base.h"

namespace clear_sweep {

class FaceRunner : public RunnerBase {
 public:
  FaceRunner(SweepSpec spec, std::vector<Stage> stages, std::string artifacts, DeviceBinding binding);

 private:
  void run_model_stage(const Stage& stage) override;
  ResultRecord run_model_job(const Job& job) override;

  /// The dataset's faces as the embedder's input, made once.
  const FaceImages& faces();
  FaceModel load_stage(const Stage& stage) const;
  FaceAccuracy accuracy(FaceModel& model, const JobPersons& persons);
  void ensure_references(double fraction, const JobPersons& persons);
  /// U-MIA and U-LIRA over the 4N shadow models of the plan, each unlearned by
  /// `settings` (or left as trained when `settings` is null). `on_model` sees each done.
  std::map<std::string, double> shadow_attacks(const JobPersons& persons, int64_t per_role,
                                               const FaceUnlearnSettings* settings,
                                               const std::function<void(int64_t done, int64_t all)>& on_model);

  std::unique_ptr<FaceImages> faces_;
  FaceModel base_{nullptr};
  std::map<double, ReferenceRows> references_;  ///< by fraction: the Original's and the Gold's accuracies
  /// By (fraction, shadow models per role): the attacks on the shadow models as trained
  /// (the Original row's U-MIA / U-LIRA).
  std::map<std::pair<double, int64_t>, std::map<std::string, double>> original_attacks_;
};

}  // namespace clear_sweep
