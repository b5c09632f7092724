// Idefics2 (transformers' Idefics2ForConditionalGeneration): the SigLIP encoder and the
// connector (idefics2_vision.h) and a Mistral decoder, laid out under transformers'
// names (model.vision_model..., model.connector..., model.text_model..., lm_head). Each
// crop of an image becomes `resampler_n_latents` features that fill its <image> tokens in
// order; positions are the batch's plain ones.
#pragma once

#include <torch/torch.h>

#include "model/idefics2/idefics2_vision.h"
#include "model/llama_decoder.h"
#include "model/vlm.h"

namespace clear_sweep {

/// transformers' Idefics2Model ("model").
class Idefics2BaseImpl : public torch::nn::Module {
 public:
  explicit Idefics2BaseImpl(const ModelConfig& config);
  Idefics2VisionTransformer vision_model{nullptr};
  Idefics2Connector connector{nullptr};
  LlamaModel text_model{nullptr};
};
TORCH_MODULE(Idefics2Base);

class Idefics2Impl : public VlmImpl {
 public:
  explicit Idefics2Impl(const ModelConfig& config);

  /// inputs.images [patches of every crop, 3 * p * p] and inputs.image_grids [crops, 3]
  /// (1, rows, columns of full patches per crop), as ImageProcessor's idefics2 kind packs them.
  torch::Tensor hidden(const ModelInputs& inputs, const ForwardOptions& options = {}) override;
  torch::Tensor embed(const ModelInputs& inputs) override;
  torch::Tensor logits(const torch::Tensor& hidden) override;
  void set_activation_checkpointing(bool on) override { model->text_model->set_activation_checkpointing(on); }
  /// Every linear layer of the decoder (model.text_model.layers.*), CLEAR's default; the
  /// encoder's and the connector's are targets only when asked for (lora_targets "all",
  /// nearest to MLLMU-Bench's, which also adapts the connector and SigLIP's q/k/v).
  bool default_lora_target(const std::string& name) const override;

  Idefics2Base model{nullptr};
  LoraLinear lm_head{nullptr};  ///< none when tied to the embedding
};

}  // namespace clear_sweep
