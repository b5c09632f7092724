// The model module's entry point (see model_plugin.h): everything here may use libtorch.
// Errors are caught on this side of the boundary and turned into exit codes.
#include "app/model_plugin.h"
#include "common/guarded.h"

namespace clear_sweep {
namespace {

class ModelPluginImpl : public ModelPlugin {
 public:
  int finetune(const FinetuneCommandOptions& options, std::ostream& out, std::ostream& err) override {
    return run_guarded(err, [&] { return finetune_command(options, out); });
  }
};

}  // namespace
}  // namespace clear_sweep

extern "C" __attribute__((visibility("default"))) clear_sweep::ModelPlugin* cs_model_plugin() {
  static clear_sweep::ModelPluginImpl plugin;
  return &plugin;
}
