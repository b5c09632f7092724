#include "model/vlm.h"

#include <set>

#include "model/llama_decoder.h"
#include "model/model_family.h"

namespace clear_sweep {

Vlm::Vlm(const ModelConfig& config) : ModuleHolder(model_family(config.family).build(config)) {}

std::vector<std::pair<std::string, LoraLinear>> VlmImpl::linear_layers() {
  std::vector<std::pair<std::string, LoraLinear>> out;
  for (const auto& item : named_modules("", false))
    if (auto linear = std::dynamic_pointer_cast<LoraLinearImpl>(item.value()))
      out.emplace_back(item.key(), LoraLinear(linear));
  return out;
}

size_t VlmImpl::attach_adapters(const LoraSpec& spec, const std::function<bool(const std::string&)>& target) {
  set_base_trainable(false);
  size_t attached = 0;
  for (auto& [name, layer] : linear_layers()) {
    if (layer->has_adapter()) layer->detach_adapter();
    const bool head = name == "lm_head" || (name.size() >= 8 && name.compare(name.size() - 8, 8, ".lm_head") == 0);
    const bool wanted = target ? target(name) : adapt_every_linear_ ? !head : default_lora_target(name);
    if (!wanted) continue;
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

void VlmImpl::set_inference_weights(bool on) {
  inference_depth_ += on ? 1 : -1;
  if ((on && inference_depth_ > 1) || (!on && inference_depth_ > 0)) return;  // an outer scope holds them
  torch::NoGradGuard no_grad;
  std::set<const torch::nn::Module*> done;  // the decoder blocks' layers, q/k/v and gate/up fused
  for (const auto& item : named_modules("", false)) {
    if (auto* attention = dynamic_cast<LlamaAttentionImpl*>(item.value().get())) {
      attention->set_inference_weights(on);
      done.insert({attention->q_proj.get(), attention->k_proj.get(), attention->v_proj.get(), attention->o_proj.get()});
    } else if (auto* mlp = dynamic_cast<LlamaMlpImpl*>(item.value().get())) {
      mlp->set_inference_weights(on);
      done.insert({mlp->gate_proj.get(), mlp->up_proj.get(), mlp->down_proj.get()});
    }
  }
  for (auto& [name, layer] : linear_layers())
    if (!done.count(layer.get())) layer->set_inference_weights(on);
}

}  // namespace clear_sweep
