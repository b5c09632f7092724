#include "model/gpu_info.h"

#include <ATen/DeviceAccelerator.h>

#include <cstdio>

#ifdef CLEAR_SWEEP_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace clear_sweep {
namespace {
/// "cuda" means the current device, 0 for a rank (each worker sees its own GPU first).
c10::DeviceIndex index_of(torch::Device device) { return device.has_index() ? device.index() : 0; }
}  // namespace

GpuCard gpu_card(torch::Device device) {
  GpuCard card;
  if (!device.is_cuda()) return card;
  const c10::DeviceIndex index = index_of(device);
#ifdef CLEAR_SWEEP_WITH_CUDA
  const cudaDeviceProp* p = at::cuda::getDeviceProperties(index);
  card.name = p->name;
  const auto* b = reinterpret_cast<const unsigned char*>(p->uuid.bytes);
  char text[48];
  std::snprintf(text, sizeof text, "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  card.uuid = text;
#else
  card.name = "CUDA device " + std::to_string(int(index));
#endif
  return card;
}

void gpu_reset_peak(torch::Device device) {
  if (device.is_cuda()) at::accelerator::resetPeakStats(index_of(device));
}

GpuMemoryPeak gpu_memory_peak(torch::Device device) {
  GpuMemoryPeak peak;
  if (!device.is_cuda()) return peak;
  const auto stats = at::accelerator::getDeviceStats(index_of(device));
  constexpr auto all = static_cast<size_t>(c10::CachingDeviceAllocator::StatType::AGGREGATE);
  peak.allocated_mb = double(stats.allocated_bytes[all].peak) / (1024.0 * 1024.0);
  peak.reserved_mb = double(stats.reserved_bytes[all].peak) / (1024.0 * 1024.0);
  return peak;
}

}  // namespace clear_sweep
