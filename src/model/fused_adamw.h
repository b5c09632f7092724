// AdamW as one fused kernel per device and dtype (PyTorch's _fused_adamw_, which
// torch.optim.AdamW(fused=True) calls), instead of about ten kernels per tensor: a LoRA
// step over 448 adapter tensors launched a few thousand small kernels on a GPU. Same
// state as torch::optim::AdamW (its step count, moments), so saving, loading and a
// learning-rate schedule work unchanged; the same update within float rounding. On the
// CPU it is torch::optim::AdamW's loop unless asked (Kernel::everywhere): a few ulps per
// step add up over a training run, and the CPU's numbers (tests, the mini sweep's
// leaderboard) stay those of the loop.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace clear_sweep {

class FusedAdamW : public torch::optim::AdamW {
 public:
  /// Where the fused kernel runs: on accelerators only, or on the CPU too.
  enum class Kernel { device, everywhere };
  FusedAdamW(const std::vector<torch::Tensor>& params, const torch::optim::AdamWOptions& options,
             Kernel kernel = Kernel::device);
  /// One update of every parameter with a gradient. No closure, no amsgrad.
  torch::Tensor step(LossClosure closure = nullptr) override;

 private:
  Kernel kernel_;
};

}  // namespace clear_sweep
