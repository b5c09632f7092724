#include "model/vlm.h"

#include "common/error.h"

namespace clear_sweep {

VlmImpl::VlmImpl(const ModelConfig& config) : config_(config) {
  config.validate("model config");
  vision_tower = register_module("vision_tower", VisionTower(config.vision));
  multi_modal_projector = register_module("multi_modal_projector", Projector(config.vision.hidden, config.text.hidden));
  language_model = register_module("language_model", LanguageModel(config.text));
}

torch::Tensor VlmImpl::embed(const torch::Tensor& input_ids, const torch::Tensor& images) {
  const torch::Tensor is_image = input_ids == config_.image_token_id;
  // Placeholders embed as token 0 first, then take the image features.
  torch::Tensor embeds = language_model->model->embed_tokens(input_ids.masked_fill(is_image, 0));
  if (!images.defined() || images.size(0) == 0) {
    CS_ASSERT(!is_image.any().item<bool>(), "image placeholder tokens without images");
    return embeds;
  }
  const torch::Tensor features = multi_modal_projector(vision_tower(images)).to(embeds.scalar_type());
  const int64_t placeholders = is_image.sum().item<int64_t>();
  CS_ASSERT(placeholders == features.size(0) * features.size(1),
            "image placeholders (" + std::to_string(placeholders) + ") do not match " +
                std::to_string(features.size(0)) + " images x " + std::to_string(features.size(1)) + " patches");
  // Row-major order of the placeholders matches image order then patch order.
  return embeds.masked_scatter(is_image.unsqueeze(-1), features.reshape({-1, features.size(-1)}));
}

torch::Tensor VlmImpl::hidden(const ModelInputs& in, const ForwardOptions& options) {
  const torch::Tensor embeds = embed(in.input_ids, in.images);
  return language_model->model->forward(embeds, in.position_ids, in.attention_mask, options.cache,
                                        options.hidden_states);
}

torch::Tensor VlmImpl::forward(const ModelInputs& in, const ForwardOptions& options) {
  return language_model->logits(hidden(in, options));
}

std::vector<std::pair<std::string, LoraLinear>> VlmImpl::linear_layers() {
  std::vector<std::pair<std::string, LoraLinear>> out;
  for (const auto& item : named_modules("", false))
    if (auto linear = std::dynamic_pointer_cast<LoraLinearImpl>(item.value()))
      out.emplace_back(item.key(), LoraLinear(linear));
  return out;
}

bool VlmImpl::default_lora_target(const std::string& name) {
  return name.rfind("language_model.model.layers.", 0) == 0;
}

size_t VlmImpl::attach_adapters(const LoraSpec& spec, const std::function<bool(const std::string&)>& target) {
  set_base_trainable(false);
  size_t attached = 0;
  for (auto& [name, layer] : linear_layers()) {
    if (layer->has_adapter()) layer->detach_adapter();
    if (!target(name)) continue;
    layer->attach_adapter(spec);
    ++attached;
  }
  return attached;
}

void VlmImpl::detach_adapters() {
  for (auto& [name, layer] : linear_layers())
    if (layer->has_adapter()) layer->detach_adapter();
}

void VlmImpl::set_adapters_enabled(bool enabled) {
  for (auto& [name, layer] : linear_layers()) layer->set_adapter_enabled(enabled);
}

void VlmImpl::merge_adapters() {
  for (auto& [name, layer] : linear_layers())
    if (layer->has_adapter()) layer->merge_adapter();
}

void VlmImpl::unmerge_adapters() {
  for (auto& [name, layer] : linear_layers())
    if (layer->has_adapter()) layer->unmerge_adapter();
}

void VlmImpl::fold_adapters() {
  for (auto& [name, layer] : linear_layers())
    if (layer->has_adapter()) layer->fold_adapter();
}

std::vector<torch::Tensor> VlmImpl::adapter_parameters() {
  std::vector<torch::Tensor> params;
  for (auto& [name, layer] : linear_layers())
    if (layer->has_adapter()) {
      params.push_back(layer->lora_a());
      params.push_back(layer->lora_b());
    }
  return params;
}

void VlmImpl::set_base_trainable(bool trainable) {
  for (auto& p : parameters()) p.set_requires_grad(trainable);
}

}  // namespace clear_sweep
