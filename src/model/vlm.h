// The whole vision-language model (Hugging Face's LlavaForConditionalGeneration layout):
// vision_tower -> multi_modal_projector -> language_model. Image placeholder tokens in
// the input are replaced, in order, by the projected patch features of their image.
// Also the adapter controls: which linear layers carry LoRA, enabling, merging.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "model/llama_decoder.h"
#include "model/model_config.h"
#include "model/vision_tower.h"

namespace clear_sweep {

/// A batch as tensors on the model's device.
struct ModelInputs {
  torch::Tensor input_ids;       ///< [B, T] long
  torch::Tensor attention_mask;  ///< [B, T] bool
  torch::Tensor position_ids;    ///< [B, T] long
  torch::Tensor labels;          ///< [B, T] long, -100 where ignored (may be undefined)
  torch::Tensor images;          ///< [N, 3, S, S]: the images of the rows that have one, in row order
};

struct ForwardOptions {
  KvCache* cache = nullptr;
  std::vector<torch::Tensor>* hidden_states = nullptr;  ///< each decoder layer's output
};

class VlmImpl : public torch::nn::Module {
 public:
  explicit VlmImpl(const ModelConfig& config);

  /// Logits [B, T, V].
  torch::Tensor forward(const ModelInputs& inputs, const ForwardOptions& options = {});
  /// The decoder's final (normed) hidden states [B, T, D], before the LM head: losses
  /// over a few labelled positions apply the head to those alone.
  torch::Tensor hidden(const ModelInputs& inputs, const ForwardOptions& options = {});
  /// Input embeddings with image features in place of the placeholder tokens.
  torch::Tensor embed(const torch::Tensor& input_ids, const torch::Tensor& images);

  const ModelConfig& config() const { return config_; }

  /// Linear layers by their full parameter-name prefix (e.g.
  /// "language_model.model.layers.0.self_attn.q_proj").
  std::vector<std::pair<std::string, LoraLinear>> linear_layers();
  /// CLEAR's default LoRA targets: every linear layer of the decoder but the LM head.
  static bool default_lora_target(const std::string& name);
  /// Attaches fresh adapters to the layers `target` selects (others get none); base
  /// weights are frozen. Returns how many layers got one.
  size_t attach_adapters(const LoraSpec& spec,
                         const std::function<bool(const std::string&)>& target = default_lora_target);
  void detach_adapters();
  void set_adapters_enabled(bool enabled);
  void merge_adapters();
  void unmerge_adapters();
  /// Merges every adapter into its base weight for good and drops it.
  void fold_adapters();
  /// The trainable adapter tensors (A and B of every adapted layer).
  std::vector<torch::Tensor> adapter_parameters();
  /// Freezes (or unfreezes) every base weight.
  void set_base_trainable(bool trainable);

  VisionTower vision_tower{nullptr};
  Projector multi_modal_projector{nullptr};
  LanguageModel language_model{nullptr};

 private:
  ModelConfig config_;
};
TORCH_MODULE(Vlm);

/// Disables the adapters for a scope: the model is then its frozen base (the teacher).
class AdaptersDisabled {
 public:
  explicit AdaptersDisabled(Vlm& model) : model_(model) { model_->set_adapters_enabled(false); }
  ~AdaptersDisabled() { model_->set_adapters_enabled(true); }
  AdaptersDisabled(const AdaptersDisabled&) = delete;
  AdaptersDisabled& operator=(const AdaptersDisabled&) = delete;

 private:
  Vlm& model_;
};

}  // namespace clear_sweep
