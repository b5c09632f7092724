// The libtorch half of clear-sweep is a module (libclear_sweep_model.so) opened on first
// use, not a link-time dependency: loading libtorch takes 0.4 s (seconds from a cold
// cache), which every `plan`, `status` and the coordinator rank would pay, and a stop
// signal arriving while the loader maps it would kill the process before any handler
// exists. Commands that need a model reach it through this interface.
#pragma once

#include <ostream>
#include <string>

#include "app/finetune_command.h"

namespace clear_sweep {

class ModelPlugin {
 public:
  virtual ~ModelPlugin() = default;
  /// `clear-sweep finetune`; errors are printed to `err` and returned as exit codes.
  virtual int finetune(const FinetuneCommandOptions& options, std::ostream& out, std::ostream& err) = 0;
};

/// Where the module is looked for: CLEAR_SWEEP_MODEL_PLUGIN, then beside the running
/// executable, then the build tree's copy.
std::string model_plugin_path();

/// Opens the module once. Error naming the path when it cannot be loaded.
ModelPlugin& model_plugin();

}  // namespace clear_sweep
