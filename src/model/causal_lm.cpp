#include "model/causal_lm.h"

#include "common/error.h"

namespace clear_sweep {

CausalLmImpl::CausalLmImpl(const ModelConfig& config) : VlmImpl(config) {
  CS_ASSERT(!config.has_vision, "a causal LM is built from a text-only config");
  model = register_module("model", LlamaModel(config.text));
  if (!config.text.tie_embeddings)
    lm_head = register_module("lm_head", LoraLinear(config.text.hidden, config.text.vocab_size, false));
}

torch::Tensor CausalLmImpl::embed(const ModelInputs& inputs) {
  if (inputs.images.defined() && inputs.images.numel() > 0)
    throw Error(SourceLocation{}, "images", "the " + config().family + " model is text-only and takes no image",
                "run it on the text modality (modality = [\"text\"])");
  return model->embed_tokens(inputs.input_ids);  // [B, T, D]
}

torch::Tensor CausalLmImpl::hidden(const ModelInputs& inputs, const ForwardOptions& options) {
  return model->forward(embed(inputs), inputs.position_ids, inputs.attention_mask, options.cache,
                        options.hidden_states);  // [B, T, D]
}

torch::Tensor CausalLmImpl::logits(const torch::Tensor& hidden) {
  return lm_head ? lm_head(hidden) : torch::nn::functional::linear(hidden, model->embed_tokens->weight);  // [..., V]
}

bool CausalLmImpl::default_lora_target(const std::string& name) const { return name.rfind("model.layers.", 0) == 0; }

}  // namespace clear_sweep
