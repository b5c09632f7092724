// A text-only language model (transformers' LlamaForCausalLM, MistralForCausalLM,
// Qwen2ForCausalLM): the shared Llama-shaped decoder under transformers' own names
// (model.embed_tokens, model.layers.N..., model.norm, lm_head), behind the same
// interface as the VLMs (vlm.h). It takes no images. The families that build it
// (model/llama/, model/mistral/, model/qwen2/) differ in their config.json's defaults
// and in which settings they may have (causal_lm_config.h).
#pragma once

#include <torch/torch.h>

#include "model/llama_decoder.h"
#include "model/vlm.h"

namespace clear_sweep {

class CausalLmImpl : public VlmImpl {
 public:
  explicit CausalLmImpl(const ModelConfig& config);

  torch::Tensor hidden(const ModelInputs& inputs, const ForwardOptions& options = {}) override;
  /// Token embeddings [B, T, D]; an image is an error (a text-only model).
  torch::Tensor embed(const ModelInputs& inputs) override;
  torch::Tensor logits(const torch::Tensor& hidden) override;
  void set_activation_checkpointing(bool on) override { model->set_activation_checkpointing(on); }
  /// Every linear layer of the decoder (model.layers.*), not the LM head.
  bool default_lora_target(const std::string& name) const override;

  LlamaModel model{nullptr};
  LoraLinear lm_head{nullptr};  ///< none when the head is tied to the embedding
};

}  // namespace clear_sweep
