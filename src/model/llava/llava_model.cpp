#include "model/llava/llava_model.h"

#include "common/error.h"
#include "model/image_placeholders.h"

namespace clear_sweep {

LlavaImpl::LlavaImpl(const ModelConfig& config) : VlmImpl(config) {
  config.validate("model config");
  // This order is the parameters' order: their initialisation and the checkpoint's.
  vision_tower = register_module("vision_tower", VisionTower(config.vision));
  multi_modal_projector = register_module("multi_modal_projector", Projector(config.vision.hidden, config.text.hidden));
  language_model = register_module("language_model", LanguageModel(config.text));
}

torch::Tensor LlavaImpl::embed(const ModelInputs& in) {
  const bool has_images = in.images.defined() && in.images.size(0) > 0;
  return embed_with_images(language_model->model->embed_tokens, in.input_ids, config().image_token_id, has_images, [&] {
    const torch::Tensor features = multi_modal_projector(vision_tower(in.images));  // [N, features, D]
    return features.reshape({-1, features.size(-1)});                               // image order, then patch order
  });
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
