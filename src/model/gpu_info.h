// What a result row records about the GPU a job ran on: the card (name, UUID, so rows
// from a heterogeneous cluster can be told apart) and the caching allocator's peaks.
// Everything is empty or zero on the CPU.
#pragma once

#include <torch/torch.h>

#include <string>

namespace clear_sweep {

struct GpuCard {
  std::string name;  ///< e.g. "NVIDIA H100 80GB HBM3"
  std::string uuid;  ///< as nvidia-smi prints it, "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
};

/// The card behind `device`; empty strings on the CPU, and the name alone ("CUDA
/// device N") in a build without the CUDA toolkit.
GpuCard gpu_card(torch::Device device);

struct GpuMemoryPeak {
  double allocated_mb = 0;  ///< the most tensors held at once
  double reserved_mb = 0;   ///< the most the caching allocator held from the driver
};

/// Starts a new peak window (a job's start).
void gpu_reset_peak(torch::Device device);
/// The peaks since the last reset.
GpuMemoryPeak gpu_memory_peak(torch::Device device);

}  // namespace clear_sweep
