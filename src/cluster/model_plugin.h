// The libtorch half of clear-sweep is a module (libclear_sweep_model.so) opened on first
// use, not a link-time dependency: loading libtorch takes 0.4 s (seconds from a cold
// cache), which every `plan`, `status` and the coordinator rank would pay, and a stop
// signal arriving while the loader maps it would kill the process before any handler
// exists. Commands and workers that need a model reach it through this interface.
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include "cluster/device_binding.h"
#include "cluster/job_runner.h"

namespace clear_sweep {

struct ScoreCommandOptions;

class ModelPlugin {
 public:
  virtual ~ModelPlugin() = default;
  /// `clear-sweep finetune`; errors are printed to `err` and returned as exit codes.
  virtual int finetune(const std::string& sweep_path, const std::string& artifacts, const std::string& device,
                       int threads, std::ostream& out, std::ostream& err) = 0;
  /// `clear-sweep score` (app/score_command.h), errors as for finetune.
  virtual int score(const ScoreCommandOptions& options, std::ostream& out, std::ostream& err) = 0;
  /// CUDA devices libtorch sees (CUDA_VISIBLE_DEVICES applied).
  virtual int cuda_devices() = 0;
  /// A worker's runner for a model sweep (its TOML text): stages train into
  /// `artifacts`, jobs unlearn and evaluate on the bound device.
  virtual std::unique_ptr<JobRunner> make_runner(const std::string& sweep_text, const std::string& sweep_path,
                                                 const std::string& artifacts, const DeviceBinding& binding) = 0;
};

/// Where the module is looked for: CLEAR_SWEEP_MODEL_PLUGIN, then beside the running
/// executable, then the build tree's copy.
std::string model_plugin_path();

/// Opens the module once. Error naming the path when it cannot be loaded.
ModelPlugin& model_plugin();

}  // namespace clear_sweep
