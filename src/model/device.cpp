#include "model/device.h"

#include "common/error.h"
#include "common/version.h"

namespace clear_sweep {

torch::Device resolve_device(const std::string& name) {
  if (name == "auto" || name.empty()) return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::kCPU;
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw Error(
          SourceLocation{}, "resources.device",
          "'" + name + "' asked for, but libtorch sees no CUDA device (" + build_description() + ")",
          "check CUDA_VISIBLE_DEVICES, use device = \"auto\" or \"cpu\", or build against a libtorch with CUDA");
    const int index = name.size() > 5 && name[4] == ':' ? std::atoi(name.c_str() + 5) : 0;
    if (index < 0 || index >= int(torch::cuda::device_count()))
      throw Error(SourceLocation{}, "resources.device",
                  "'" + name + "': there are " + std::to_string(torch::cuda::device_count()) + " CUDA devices");
    return torch::Device(torch::kCUDA, int8_t(index));
  }
  throw Error(SourceLocation{}, "resources.device", "unknown device '" + name + "'", "auto, cpu, cuda or cuda:N");
}

}  // namespace clear_sweep
