#include "model/llava/llava_model.h"

#include "common/error.h"

namespace clear_sweep {

LlavaImpl::LlavaImpl(const ModelConfig& config) : VlmImpl(config) {
  config.validate("model config");
  // This order is the parameters' order: their initialisation and the checkpoint's.
  vision_tower = register_module("vision_tower", VisionTower(config.vision));
  multi_modal_projector = register_module("multi_modal_projector", Projector(config.vision.hidden, config.text.hidden));
  language_model = register_module("language_model", LanguageModel(config.text));
}

torch::Tensor LlavaImpl::embed(const ModelInputs& inputs) {
  const torch::Tensor& input_ids = inputs.input_ids;
  const torch::Tensor& images = inputs.images;
  const torch::Tensor is_image = input_ids == config().image_token_id;  // [B, T]
  // Placeholders embed as token 0 first, then take the image features.
  torch::Tensor embeds = language_model->model->embed_tokens(input_ids.masked_fill(is_image, 0));  // [B, T, D]
  if (!images.defined() || images.size(0) == 0) {
    CS_ASSERT(!is_image.any().item<bool>(), "image placeholder tokens without images");
    return embeds;
  }
  // [N, features, D]
  const torch::Tensor features = multi_modal_projector(vision_tower(images)).to(embeds.scalar_type());
  const int64_t placeholders = is_image.sum().item<int64_t>();
  CS_ASSERT(placeholders == features.size(0) * features.size(1),
            "image placeholders (" + std::to_string(placeholders) + ") do not match " +
                std::to_string(features.size(0)) + " images x " + std::to_string(features.size(1)) + " patches");
  // Row-major order of the placeholders matches image order then patch order.
  return embeds.masked_scatter(is_image.unsqueeze(-1), features.reshape({-1, features.size(-1)}));
}

torch::Tensor LlavaImpl::hidden(const ModelInputs& in, const ForwardOptions& options) {
  const torch::Tensor embeds = embed(in);
  return language_model->model->forward(embeds, in.position_ids, in.attention_mask, options.cache,
                                        options.hidden_states);
}

bool LlavaImpl::default_lora_target(const std::string& name) const {
  return name.rfind("language_model.model.layers.", 0) == 0;
}

}  // namespace clear_sweep
