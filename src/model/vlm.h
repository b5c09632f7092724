// The model as everything above model/ sees it, whatever its family (model_family.h):
// token and image embedding, a forward pass with a KV cache and per-layer hidden
// states, the LM head at chosen positions, the linear layers LoRA may adapt, and the
// adapter controls (attach, enable, merge, fold). Unlearning, evaluation, scoring and
// attacks use this alone; a family (model/llava/ ...) implements the first four.
//
// Shapes: B batch rows, T tokens, D decoder width, V vocabulary, N images.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/kv_cache.h"
#include "model/lora_linear.h"
#include "model/model_config.h"
#include "model/model_family.h"

namespace clear_sweep {

/// A batch as tensors on the model's device.
struct ModelInputs {
  torch::Tensor input_ids;       ///< [B, T] long
  torch::Tensor attention_mask;  ///< [B, T] bool
  torch::Tensor position_ids;    ///< [B, T] long
  torch::Tensor labels;          ///< [B, T] long, -100 where ignored (may be undefined)
  /// The images of the rows that have one, in row order, as the family's processor gives
  /// them: [N, 3, S, S] (LLaVA), every image's patches one after another,
  /// [patches, 3 * temporal * p * p] (Qwen2-VL), every image's tiles, [tiles, 3, S, S]
  /// (LLaVA-NeXT), or every crop's full patches, [patches, 3 * p * p] (Idefics2), with
  /// their layouts in image_grids.
  torch::Tensor images;
  /// [N, 3] long on the host, each image's layout where its size shapes its features:
  /// Qwen2-VL's image_grid_thw (t, h, w patches), LLaVA-NeXT's (tiles, height, width);
  /// Idefics2's one row per crop (1, rows, columns of full patches); else undefined.
  torch::Tensor image_grids;
};

struct ForwardOptions {
  KvCache* cache = nullptr;
  std::vector<torch::Tensor>* hidden_states = nullptr;  ///< each decoder layer's output
};

class VlmImpl : public torch::nn::Module {
 public:
  explicit VlmImpl(const ModelConfig& config) : config_(config) {}
  ~VlmImpl() override = default;

  /// Logits [B, T, V].
  torch::Tensor forward(const ModelInputs& inputs, const ForwardOptions& options = {}) {
    return logits(hidden(inputs, options));
  }
  /// The decoder's final (normed) hidden states [B, T, D], before the LM head: losses
  /// over a few labelled positions apply the head to those alone.
  virtual torch::Tensor hidden(const ModelInputs& inputs, const ForwardOptions& options = {}) = 0;
  /// Input embeddings [B, T, D] of inputs.input_ids, with the features of inputs.images in
  /// place of the placeholder tokens.
  virtual torch::Tensor embed(const ModelInputs& inputs) = 0;
  /// The LM head: [..., D] -> [..., V].
  virtual torch::Tensor logits(const torch::Tensor& hidden) = 0;
  /// Activation checkpointing of the decoder layers while training (one more forward
  /// per layer, for the memory of long image+text sequences).
  virtual void set_activation_checkpointing(bool on) = 0;
  /// The layers CLEAR adapts by default, by full name: every linear layer of the
  /// decoder but the LM head.
  virtual bool default_lora_target(const std::string& name) const = 0;

  const ModelConfig& config() const { return config_; }
  /// The plain "Question: ...\nAnswer:" template from now on.
  void use_plain_prompt() {
    config_.prompt_template = kPlainPrompt;
    config_.chat_template.reset();
    config_.system_prompt.clear();
    config_.date_string.clear();
  }
  /// LLaVA-1.5's template from now on ("USER: <image>\n... ASSISTANT:"), as MLLMU-Bench's
  /// evaluation asks Idefics2.
  void use_llava15_prompt() {
    use_plain_prompt();
    config_.prompt_template = kLlava15Prompt;
  }
  /// Prompts through `chat` (a folder's chat template) from now on: a text-only model's
  /// question is the user's turn, after `system_prompt` where it is not empty.
  void use_chat_template(std::shared_ptr<const ChatTemplate> chat, std::string system_prompt, std::string date_string) {
    config_.prompt_template = kChatPrompt;
    config_.chat_template = std::move(chat);
    config_.system_prompt = std::move(system_prompt);
    config_.date_string = std::move(date_string);
  }

  /// Linear layers by their full parameter-name prefix (e.g.
  /// "language_model.model.layers.0.self_attn.q_proj").
  std::vector<std::pair<std::string, LoraLinear>> linear_layers();
  /// Whether attach_adapters' default is every linear layer but the LM head (the vision
  /// encoder's and projector's too) rather than the family's default_lora_target.
  void set_adapt_every_linear(bool every) { adapt_every_linear_ = every; }
  /// Attaches fresh adapters to the layers `target` selects (others get none; without
  /// `target`, default_lora_target's, or every linear but the LM head after
  /// set_adapt_every_linear); base weights are frozen. Returns how many layers got one.
  size_t attach_adapters(const LoraSpec& spec, const std::function<bool(const std::string&)>& target = {});
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
  /// Inference weights on or off (counted: the outermost off drops them); see
  /// InferenceWeights.
  void set_inference_weights(bool on);

 private:
  ModelConfig config_;
  bool adapt_every_linear_ = false;
  int inference_depth_ = 0;
};

/// A model of any family, held as torch holds modules (`model->forward(...)`).
/// Vlm(config) builds the family config.family names (model_family.h).
class Vlm : public torch::nn::ModuleHolder<VlmImpl> {
 public:
  Vlm(std::nullptr_t) : ModuleHolder(nullptr) {}                         // NOLINT: as torch's holders, `Vlm m{nullptr}`
  Vlm(std::shared_ptr<VlmImpl> impl) : ModuleHolder(std::move(impl)) {}  // NOLINT
  explicit Vlm(const ModelConfig& config);
};

/// Fewer, larger kernels for a scope of evaluation or generation: every linear layer
/// becomes one matmul by its weight with its adapter folded in, in the dtype matmuls take
/// (bf16 under autocast on CUDA, so no cast of a float32 weight each step), and each
/// decoder layer's q, k and v, and its gate and up, one matmul each. The base weights and
/// adapters are untouched (training after the scope is bit-exact); the copies are used
/// only while no gradient is recorded, and cost the memory of q/k/v and gate/up (and of
/// every adapted or cast layer). Adapters must not change inside the scope.
class InferenceWeights {
 public:
  explicit InferenceWeights(Vlm& model) : model_(model) { model_->set_inference_weights(true); }
  ~InferenceWeights() { model_->set_inference_weights(false); }
  InferenceWeights(const InferenceWeights&) = delete;
  InferenceWeights& operator=(const InferenceWeights&) = delete;

 private:
  Vlm& model_;
};

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
