// AdamW as one fused kernel per device and dtype (PyTorch's _fused_adamw_, which
// torch.optim.AdamW(fused=True) calls), instead of about ten kernels per tensor: a LoRA
// step over 448 adapter tensors launched a few thousand small kernels. Same state as
// torch::optim::AdamW (its step count, moments), so saving, loading and a learning-rate
// schedule work unchanged; the same update within float rounding.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace clear_sweep {

class FusedAdamW : public torch::optim::AdamW {
 public:
  FusedAdamW(const std::vector<torch::Tensor>& params, const torch::optim::AdamWOptions& options);
  /// One update of every parameter with a gradient. No closure, no amsgrad.
  torch::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace clear_sweep
