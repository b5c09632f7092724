// Which device a rank computes on: "auto" (CUDA when libtorch sees a GPU, else CPU),
// "cpu", "cuda" or "cuda:N".
#pragma once

#include <torch/torch.h>

#include <string>

namespace clear_sweep {

/// Error (key `resources.device`) for an unknown name or CUDA where none is visible.
torch::Device resolve_device(const std::string& name);

}  // namespace clear_sweep
