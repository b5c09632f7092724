// Mixed precision for a scope: on CUDA, autocast to bf16, so matmuls and attention run
// on the tensor cores in bf16 while master weights (LoRA adapters, a model trained
// from scratch) stay float32 and reductions (norms, softmax, losses) stay float32. bf16
// has float32's range, so no loss scaling is needed. A no-op on the CPU, where the
// tests and the mini sweep keep their float32 numbers.
#pragma once

#include <torch/torch.h>

namespace clear_sweep {

class AutocastScope {
 public:
  /// Enables bf16 autocast when `device` is CUDA and `enabled`.
  explicit AutocastScope(torch::Device device, bool enabled = true);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool was_enabled_ = false;
  torch::ScalarType was_dtype_ = torch::kBFloat16;
};

/// The dtype a matmul by `weight` runs in here and now: autocast's on CUDA while it is
/// on, else the weight's own.
torch::ScalarType matmul_dtype(const torch::Tensor& weight);

}  // namespace clear_sweep
