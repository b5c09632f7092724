// The model module's entry point (see cluster/model_plugin.h): everything here may use
// libtorch. Errors from commands are caught on this side and turned into exit codes;
// runner errors propagate to the worker, which records them as failed jobs.
#include <torch/torch.h>

#include "app/finetune_command.h"
#include "app/score_command.h"
#include "cluster/face_runner.h"
#include "cluster/model_plugin.h"
#include "cluster/model_runner.h"
#include "common/guarded.h"

namespace clear_sweep {
namespace {

class ModelPluginImpl : public ModelPlugin {
 public:
  int finetune(const std::string& sweep_path, const std::string& artifacts, const std::string& device, int threads,
               std::ostream& out, std::ostream& err) override {
    const FinetuneCommandOptions options{sweep_path, artifacts, device, threads};
    return run_guarded(err, [&] { return finetune_command(options, out); });
  }
  int score(const ScoreCommandOptions& options, std::ostream& out, std::ostream& err) override {
    return run_guarded(err, [&] { return score_command(options, out); });
  }
  int cuda_devices() override { return torch::cuda::is_available() ? int(torch::cuda::device_count()) : 0; }
  std::unique_ptr<JobRunner> make_runner(const std::string& sweep_text, const std::string& sweep_path,
                                         const std::string& artifacts, const DeviceBinding& binding) override {
    SweepSpec spec = sweep_parse(sweep_text, sweep_path);
    if (spec.model_kind() == ModelKind::faces) return std::make_unique<FaceRunner>(std::move(spec), artifacts, binding);
    return std::make_unique<ModelRunner>(std::move(spec), artifacts, binding);
  }
};

}  // namespace
}  // namespace clear_sweep

extern "C" __attribute__((visibility("default"))) clear_sweep::ModelPlugin* cs_model_plugin() {
  static clear_sweep::ModelPluginImpl plugin;
  return &plugin;
}
