// A Llama-style decoder laid out as Hugging Face's LlamaForCausalLM (names
// model.layers.N.self_attn.q_proj ..., under language_model. in LLaVA): RMSNorm, rotary
// positions, SwiGLU MLPs, causal grouped-query attention, and a KV cache for
// generation. A shared block: every family with a Llama-shaped decoder builds it.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "model/attention.h"
#include "model/basic_layers.h"
#include "model/kv_cache.h"
#include "model/lora_linear.h"
#include "model/model_config.h"

namespace clear_sweep {

class LlamaAttentionImpl : public torch::nn::Module {
 public:
  explicit LlamaAttentionImpl(const TextConfig& c);
  /// x [B, T, D]; `allowed` [B, 1, T, S], or undefined for plain causal attention; with
  /// a cache, the new keys and values are appended to layer `layer`'s entries first.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& allowed, KvCache* cache, size_t layer);
  /// Inference weights (vlm.h): q, k and v as one matrix [(H + 2 Hkv) d, D], each with
  /// its adapter folded in, and o's likewise; `on` false drops them.
  void set_inference_weights(bool on);
  LoraLinear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};

 private:
  int64_t heads_, kv_heads_, head_dim_;
  torch::Tensor qkv_weight_, qkv_bias_;  ///< inference weights, or undefined
};
TORCH_MODULE(LlamaAttention);

class LlamaMlpImpl : public torch::nn::Module {
 public:
  explicit LlamaMlpImpl(const TextConfig& c);
  torch::Tensor forward(const torch::Tensor& x);  ///< down(silu(gate(x)) * up(x))
  /// Inference weights (vlm.h): gate and up as one matrix [2 I, D], each with its adapter
  /// folded in, and down's likewise; `on` false drops them.
  void set_inference_weights(bool on);
  LoraLinear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};

 private:
  torch::Tensor gate_up_weight_, gate_up_bias_;  ///< inference weights, or undefined
};
TORCH_MODULE(LlamaMlp);

class LlamaLayerImpl : public torch::nn::Module {
 public:
  explicit LlamaLayerImpl(const TextConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& allowed, KvCache* cache, size_t layer);
  RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
  LlamaAttention self_attn{nullptr};
  LlamaMlp mlp{nullptr};
};
TORCH_MODULE(LlamaLayer);

/// The rotary frequencies [d/2] (float32) of `c`: theta's, scaled as rope_scaling says.
torch::Tensor rope_frequencies(const TextConfig& c, const torch::Device& device);

/// LlamaModel: embeddings, layers, final norm.
class LlamaModelImpl : public torch::nn::Module {
 public:
  explicit LlamaModelImpl(const TextConfig& c);
  /// embeds [B, T, D], positions [B, T] long (or [3, B, T] under M-RoPE, where the
  /// config has mrope_section), mask [B, T] bool (real tokens). With a
  /// cache, attends over the cached tokens too and extends the cache. `hidden_states`,
  /// if given, receives each layer's output (index i = layer i).
  torch::Tensor forward(const torch::Tensor& embeds, const torch::Tensor& positions, const torch::Tensor& mask,
                        KvCache* cache = nullptr, std::vector<torch::Tensor>* hidden_states = nullptr);
  /// Activation checkpointing: while training with gradients, each layer keeps only its
  /// input and is run again in the backward pass. One more forward per layer, for the
  /// memory of long image+text sequences (576 image tokens a row in LLaVA-1.5).
  void set_activation_checkpointing(bool on) { checkpointing_ = on; }
  bool activation_checkpointing() const { return checkpointing_; }
  Embedding embed_tokens{nullptr};  ///< [V, D]
  torch::nn::ModuleList layers{nullptr};
  RMSNorm norm{nullptr};

 private:
  TextConfig config_;
  bool checkpointing_ = false;
  torch::Tensor inv_freq_;  ///< rope_frequencies, on the device last used
};
TORCH_MODULE(LlamaModel);

/// LlamaForCausalLM: the model and its LM head.
class LanguageModelImpl : public torch::nn::Module {
 public:
  explicit LanguageModelImpl(const TextConfig& c);
  LlamaModel model{nullptr};
  LoraLinear lm_head{nullptr};
  bool tied = false;
  torch::Tensor logits(const torch::Tensor& hidden);
};
TORCH_MODULE(LanguageModel);

}  // namespace clear_sweep
