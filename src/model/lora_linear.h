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

  torch::Tensor& lora_a() { return lora_a_; }
  torch::Tensor& lora_b() { return lora_b_; }
  double scale() const { return scale_; }
  double dropout() const { return dropout_; }

  torch::Tensor weight, bias;

 private:
  torch::Tensor lora_a_, lora_b_;  ///< [r, in], [out, r]
  double scale_ = 0.0;
  double dropout_ = 0.0;
  bool adapter_enabled_ = true;
  bool merged_ = false;
};
TORCH_MODULE(LoraLinear);

}  // namespace clear_sweep
