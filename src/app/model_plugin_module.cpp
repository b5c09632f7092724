// The model module's entry point (see model_plugin.h): everything here may use libtorch.
// Errors are caught on this side of the boundary and turned into exit codes.
#include <functional>

#include "app/model_plugin.h"
#include "common/error.h"
#include "common/exit_codes.h"

namespace clear_sweep {
namespace {

int guarded(std::ostream& err, const std::function<int()>& fn) {
  try {
    return fn();
  } catch (const Error& e) {
    err << e.what() << "\n";
    return kExitBadInput;
  } catch (const InternalError& e) {
    err << e.what() << "\n";
    return kExitInternal;
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return kExitFailure;
  }
}

class ModelPluginImpl : public ModelPlugin {
 public:
  int finetune(const FinetuneCommandOptions& options, std::ostream& out, std::ostream& err) override {
    return guarded(err, [&] { return finetune_command(options, out); });
  }
};

}  // namespace
}  // namespace clear_sweep

extern "C" __attribute__((visibility("default"))) clear_sweep::ModelPlugin* cs_model_plugin() {
  static clear_sweep::ModelPluginImpl plugin;
  return &plugin;
}
