#include "cluster/model_plugin.h"

#include <dlfcn.h>

#include <filesystem>
#include <mutex>

#include "common/error.h"

namespace clear_sweep {
namespace {
constexpr const char* kModuleName = "libclear_sweep_model.so";
}

std::string model_plugin_path() {
  if (const char* env = std::getenv("CLEAR_SWEEP_MODEL_PLUGIN")) return env;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec && std::filesystem::exists(exe.parent_path() / kModuleName))
    return (exe.parent_path() / kModuleName).string();
#ifdef CS_MODEL_PLUGIN
  return CS_MODEL_PLUGIN;
#else
  return kModuleName;
#endif
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
