// LLaVA-1.5 (transformers' LlavaForConditionalGeneration): a CLIP vision tower, a
// two-layer GELU projector and a Llama decoder, laid out under transformers' names
// (vision_tower.vision_model..., multi_modal_projector..., language_model.model...).
// Image placeholder tokens in the input are replaced, in order, by the projected patch
// features of their image.
#pragma once

#include <torch/torch.h>

#include "model/llama_decoder.h"
#include "model/llava/clip_vision.h"
#include "model/vlm.h"

namespace clear_sweep {

class LlavaImpl : public VlmImpl {
 public:
  explicit LlavaImpl(const ModelConfig& config);

  torch::Tensor hidden(const ModelInputs& inputs, const ForwardOptions& options = {}) override;
  torch::Tensor embed(const ModelInputs& inputs) override;
  torch::Tensor logits(const torch::Tensor& hidden) override { return language_model->logits(hidden); }
  void set_activation_checkpointing(bool on) override { language_model->model->set_activation_checkpointing(on); }
  bool default_lora_target(const std::string& name) const override;

  VisionTower vision_tower{nullptr};
  Projector multi_modal_projector{nullptr};
  LanguageModel language_model{nullptr};
};

}  // namespace clear_sweep
