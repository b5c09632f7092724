// Qwen2-VL and Qwen2.5-VL (transformers' Qwen2VLForConditionalGeneration and
// Qwen2_5_VLForConditionalGeneration): the vision encoder (qwen2_vl_vision.h) and a Qwen2
// decoder under M-RoPE, laid out under transformers 5's names (model.visual...,
// model.language_model..., lm_head). Each image's <|image_pad|> run takes its merged
// patch features in order. Positions are computed here from the tokens and the image
// grids (mrope_positions.h), not taken from the batch: three rows per token, and the
// rope delta kept in the cache so that generated tokens continue after the image.
#pragma once

#include <torch/torch.h>

#include "model/llama_decoder.h"
#include "model/qwen2_vl/qwen2_vl_vision.h"
#include "model/vlm.h"

namespace clear_sweep {

/// transformers' Qwen2VLModel: the encoder and the decoder ("model").
class Qwen2VlBaseImpl : public torch::nn::Module {
 public:
  explicit Qwen2VlBaseImpl(const ModelConfig& config);
  QwenVision visual{nullptr};
  LlamaModel language_model{nullptr};
};
TORCH_MODULE(Qwen2VlBase);

class Qwen2VlImpl : public VlmImpl {
 public:
  explicit Qwen2VlImpl(const ModelConfig& config);

  torch::Tensor hidden(const ModelInputs& inputs, const ForwardOptions& options = {}) override;
  torch::Tensor embed(const ModelInputs& inputs) override;
  torch::Tensor logits(const torch::Tensor& hidden) override;
  void set_activation_checkpointing(bool on) override { model->language_model->set_activation_checkpointing(on); }
  /// Every linear layer of the decoder (model.language_model.layers.*), as CLEAR's and
  /// MMUnlearner's LoRA; the encoder's are targets only when asked for.
  bool default_lora_target(const std::string& name) const override;

  /// The M-RoPE positions [3, B, T] of a prompt or whole sequence and each row's rope
  /// delta [B, 1] (what later tokens' plain positions get added).
  std::pair<torch::Tensor, torch::Tensor> positions(const ModelInputs& inputs) const;

  Qwen2VlBase model{nullptr};
  LoraLinear lm_head{nullptr};  ///< none when tied to the embedding (the 2B and 3B models)
};

}  // namespace clear_sweep
