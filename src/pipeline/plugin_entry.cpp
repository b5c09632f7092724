// The model module's entry point (cluster/model_plugin.h): everything here may use
// libtorch. Errors from commands are caught on this side and turned into exit codes;
// runner errors propagate to the worker, which records them as failed jobs.
#include <torch/torch.h>

#include "cluster/model_plugin.h"
#include "common/guarded.h"
#include "pipeline/face_runner.h"
#include "pipeline/finetune_command.h"
#include "pipeline/score_command.h"
#include "pipeline/vlm_runner.h"

namespace clear_sweep {
namespace {

class ModelPluginImpl : public ModelPlugin {
 public:
  int finetune(const FinetuneCommandOptions& options, std::ostream& out, std::ostream& err) override {
    return run_guarded(err, [&] { return finetune_command(options, out); });
  }
  int score(const ScoreCommandOptions& options, std::ostream& out, std::ostream& err) override {
    return run_guarded(err, [&] { return score_command(options, out); });
  }
  int cuda_devices() override { return torch::cuda::is_available() ? int(torch::cuda::device_count()) : 0; }
  std::unique_ptr<JobRunner> make_runner(const SweepSpec& spec, const std::vector<Stage>& stages,
                                         const std::string& artifacts, const DeviceBinding& binding) override {
    if (spec.model_kind() == ModelKind::faces) return std::make_unique<FaceRunner>(spec, stages, artifacts, binding);
    return std::make_unique<VlmRunner>(spec, stages, artifacts, binding);
  }
};

}  // namespace
}  // namespace clear_sweep

extern "C" __attribute__((visibility("default"))) clear_sweep::ModelPlugin* cs_model_plugin() {
  static clear_sweep::ModelPluginImpl plugin;
  return &plugin;
}
