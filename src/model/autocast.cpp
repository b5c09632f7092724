#include "model/autocast.h"

#include <ATen/autocast_mode.h>

namespace clear_sweep {

AutocastScope::AutocastScope(torch::Device device, bool enabled) : active_(enabled && device.is_cuda()) {
  if (!active_) return;
  was_enabled_ = at::autocast::is_autocast_enabled(at::kCUDA);
  was_dtype_ = at::autocast::get_autocast_dtype(at::kCUDA);
  at::autocast::set_autocast_enabled(at::kCUDA, true);
  at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // The bf16 copies of float32 weights autocast caches live until the outermost scope.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(at::kCUDA, was_enabled_);
  at::autocast::set_autocast_dtype(at::kCUDA, was_dtype_);
}

torch::ScalarType matmul_dtype(const torch::Tensor& weight) {
  if (weight.is_cuda() && at::autocast::is_autocast_enabled(at::kCUDA))
    return at::autocast::get_autocast_dtype(at::kCUDA);
  return weight.scalar_type();
}

}  // namespace clear_sweep
