// A linear layer with an optional LoRA adapter: y = x W^T + b + (alpha / r) * B A x.
// The base weight stays frozen and shared; adapters are tensors the layer holds but does
// not register, so named_parameters() are the checkpoint's weights alone and adapters
// can be swapped between jobs without touching the base model.
#pragma once

#include <torch/torch.h>

namespace clear_sweep {

struct LoraSpec {
  int64_t rank = 8;
  double alpha = 32.0;
  double dropout = 0.0;
};

class LoraLinearImpl : public torch::nn::Module {
 public:
  LoraLinearImpl(int64_t in, int64_t out, bool bias);

  torch::Tensor forward(const torch::Tensor& x);

  /// Fresh adapter: A ~ Kaiming-uniform as in the LoRA paper's code, B = 0, so the
  /// layer's output is unchanged until B trains. Uses the current torch generator.
  void attach_adapter(const LoraSpec& spec);
  void detach_adapter();
  bool has_adapter() const { return lora_a_.defined(); }
  /// Disabled adapters leave the base layer alone: the frozen teacher of unlearning.
  void set_adapter_enabled(bool enabled) { adapter_enabled_ = enabled; }
  /// Folds (alpha / r) B A into W, or takes it back out.
  void merge_adapter();
  void unmerge_adapter();
  /// Merges the adapter into W for good and drops it (LoRA finetuning's end).
  void fold_adapter();
  bool merged() const { return merged_; }

  /// W with the adapter folded in (as it stands: enabled or not, merged or not), as
  /// `dtype`: the one matrix inference multiplies by. Aliases W where nothing changes.
  torch::Tensor effective_weight(torch::ScalarType dtype) const;
  torch::Tensor effective_bias(torch::ScalarType dtype) const;  ///< undefined without a bias
  /// Inference weights (vlm.h): while on and no gradient is recorded, forward is one
  /// matmul by the effective weight in the dtype matmuls take (autocast's on CUDA);
  /// training never sees it. Made when turned on: the adapter must not change meanwhile.
  void set_inference_weights(bool on);

  torch::Tensor& lora_a() { return lora_a_; }
  torch::Tensor& lora_b() { return lora_b_; }
  double scale() const { return scale_; }
  double dropout() const { return dropout_; }

  torch::Tensor weight, bias;

 private:
  torch::Tensor lora_a_, lora_b_;  ///< [r, in], [out, r]
  torch::Tensor inference_weight_, inference_bias_;
  double scale_ = 0.0;
  double dropout_ = 0.0;
  bool adapter_enabled_ = true;
  bool merged_ = false;
};
TORCH_MODULE(LoraLinear);

}  // namespace clear_sweep
