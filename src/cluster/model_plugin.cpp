#include "cluster/model_plugin.h"

#include <dlfcn.h>

#include <mutex>

#include "common/error.h"
#include "common/module_path.h"

namespace clear_sweep {
namespace {
constexpr const char* kModuleName = "libclear_sweep_model.so";
}

std::string model_plugin_path() {
  // CS_MODEL_PLUGIN (set by CMake) names the build tree copy.
  return module_path("CLEAR_SWEEP_MODEL_PLUGIN", kModuleName, CS_MODEL_PLUGIN);
}

ModelPlugin& model_plugin() {
  static ModelPlugin* plugin = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    const std::string path = model_plugin_path();
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      throw Error(SourceLocation{path}, "model", std::string("cannot load the model module: ") + dlerror(),
                  "build it (it sits beside the clear-sweep executable) or set CLEAR_SWEEP_MODEL_PLUGIN");
    using Factory = ModelPlugin* (*)();
    auto factory = reinterpret_cast<Factory>(dlsym(handle, "cs_model_plugin"));
    if (!factory) throw Error(SourceLocation{path}, "model", "the module lacks cs_model_plugin");
    plugin = factory();
  });
  if (!plugin) throw Error(SourceLocation{}, "model", "the model module failed to load earlier");
  return *plugin;
}

}  // namespace clear_sweep
