#include "model/llama_decoder.h"

#include <cmath>
#include <string>

#include "common/error.h"
#include "model/activation_checkpointing.h"
#include "model/autocast.h"

namespace clear_sweep {

LlamaAttentionImpl::LlamaAttentionImpl(const TextConfig& c)
    : heads_(c.heads), kv_heads_(c.kv_heads), head_dim_(c.head_dim()) {
  q_proj = register_module("q_proj", LoraLinear(c.hidden, c.heads * head_dim_, c.qkv_bias));
  k_proj = register_module("k_proj", LoraLinear(c.hidden, c.kv_heads * head_dim_, c.qkv_bias));
  v_proj = register_module("v_proj", LoraLinear(c.hidden, c.kv_heads * head_dim_, c.qkv_bias));
  o_proj = register_module("o_proj", LoraLinear(c.heads * head_dim_, c.hidden, c.o_bias));
}

torch::Tensor LlamaAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                          const torch::Tensor& allowed, KvCache* cache, size_t layer) {
  const int64_t b = x.size(0), t = x.size(1);
  torch::Tensor q_flat, k_flat, v_flat;  // [B, T, H d], [B, T, Hkv d] x 2
  if (qkv_weight_.defined() && !torch::GradMode::is_enabled()) {
    const auto parts = torch::nn::functional::linear(x, qkv_weight_, qkv_bias_)
                           .split_with_sizes({heads_ * head_dim_, kv_heads_ * head_dim_, kv_heads_ * head_dim_}, -1);
    q_flat = parts[0], k_flat = parts[1], v_flat = parts[2];
  } else {
    q_flat = q_proj(x), k_flat = k_proj(x), v_flat = v_proj(x);
  }
  const torch::Tensor q = apply_rope(q_flat.view({b, t, heads_, head_dim_}).transpose(1, 2), cos, sin);
  torch::Tensor k = apply_rope(k_flat.view({b, t, kv_heads_, head_dim_}).transpose(1, 2), cos, sin);
  torch::Tensor v = v_flat.view({b, t, kv_heads_, head_dim_}).transpose(1, 2);
  if (cache) {
    if (cache->keys.size() <= layer) {
      cache->keys.resize(layer + 1);
      cache->values.resize(layer + 1);
    }
    if (cache->capacity > 0) {
      // Static: written in place at the step's slots; after the prompt, attention reads
      // every slot (LlamaModel's mask hides the unwritten ones). The prompt attends over
      // its own keys, as the growing cache does.
      const int64_t past = cache->filled;
      if (!cache->keys[layer].defined()) {
        cache->keys[layer] = torch::zeros({b, kv_heads_, cache->capacity, head_dim_}, k.options());
        cache->values[layer] = torch::zeros({b, kv_heads_, cache->capacity, head_dim_}, v.options());
      }
      if (cache->decoding(t)) {  // at the device-side slot: a graph replays it
        cache->keys[layer].index_copy_(2, cache->slot, k);
        cache->values[layer].index_copy_(2, cache->slot, v);
      } else {
        cache->keys[layer].narrow(2, past, t).copy_(k);
        cache->values[layer].narrow(2, past, t).copy_(v);
      }
      if (past > 0) {
        k = cache->keys[layer];
        v = cache->values[layer];
      }
    } else {
      if (cache->keys[layer].defined()) {
        k = torch::cat({cache->keys[layer], k}, 2);
        v = torch::cat({cache->values[layer], v}, 2);
      }
      cache->keys[layer] = k;
      cache->values[layer] = v;
    }
  }
  const torch::Tensor out = attend(q, k, v, allowed, /*causal=*/!allowed.defined());
  return o_proj(out.transpose(1, 2).reshape({b, t, heads_ * head_dim_}));
}

namespace {

/// The layers' effective weights (adapters folded in) as one matrix, rows in order, and
/// their biases likewise (undefined where they have none), in the dtype matmuls take.
std::pair<torch::Tensor, torch::Tensor> stacked_weights(const std::vector<LoraLinear>& layers) {
  const torch::ScalarType dtype = matmul_dtype(layers.front()->weight);
  std::vector<torch::Tensor> weights, biases;
  for (const auto& l : layers) {
    weights.push_back(l->effective_weight(dtype));
    if (l->bias.defined()) biases.push_back(l->effective_bias(dtype));
  }
  CS_ASSERT(biases.empty() || biases.size() == layers.size(), "fused layers with and without biases");
  return {torch::cat(weights, 0), biases.empty() ? torch::Tensor() : torch::cat(biases, 0)};
}

}  // namespace

void LlamaAttentionImpl::set_inference_weights(bool on) {
  std::tie(qkv_weight_, qkv_bias_) =
      on ? stacked_weights({q_proj, k_proj, v_proj}) : std::pair<torch::Tensor, torch::Tensor>();
  o_proj->set_inference_weights(on);
}

void LlamaMlpImpl::set_inference_weights(bool on) {
  std::tie(gate_up_weight_, gate_up_bias_) =
      on ? stacked_weights({gate_proj, up_proj}) : std::pair<torch::Tensor, torch::Tensor>();
  down_proj->set_inference_weights(on);
}

LlamaMlpImpl::LlamaMlpImpl(const TextConfig& c) {
  gate_proj = register_module("gate_proj", LoraLinear(c.hidden, c.intermediate, c.mlp_bias));
  up_proj = register_module("up_proj", LoraLinear(c.hidden, c.intermediate, c.mlp_bias));
  down_proj = register_module("down_proj", LoraLinear(c.intermediate, c.hidden, c.mlp_bias));
}

torch::Tensor LlamaMlpImpl::forward(const torch::Tensor& x) {
  if (gate_up_weight_.defined() && !torch::GradMode::is_enabled()) {
    const auto gate_up =
        torch::nn::functional::linear(x, gate_up_weight_, gate_up_bias_).chunk(2, -1);  // [B, T, I] x 2
    return down_proj(torch::silu(gate_up[0]) * gate_up[1]);
  }
  return down_proj(torch::silu(gate_proj(x)) * up_proj(x));
}

LlamaLayerImpl::LlamaLayerImpl(const TextConfig& c) {
  input_layernorm = register_module("input_layernorm", RMSNorm(c.hidden, c.rms_norm_eps));
  self_attn = register_module("self_attn", LlamaAttention(c));
  post_attention_layernorm = register_module("post_attention_layernorm", RMSNorm(c.hidden, c.rms_norm_eps));
  mlp = register_module("mlp", LlamaMlp(c));
}

torch::Tensor LlamaLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                      const torch::Tensor& allowed, KvCache* cache, size_t layer) {
  const torch::Tensor h = x + self_attn(input_layernorm(x), cos, sin, allowed, cache, layer);
  return h + mlp(post_attention_layernorm(h));
}

torch::Tensor rope_frequencies(const TextConfig& c, const torch::Device& device) {
  torch::Tensor inv_freq = rope_inv_freq(c.head_dim(), c.rope_theta, device);  // [d/2]
  const RopeScaling& s = c.rope_scaling;
  if (s.type == "linear") return inv_freq / s.factor;
  if (s.type != "llama3") return inv_freq;
  // Llama 3.1: long wavelengths slowed by `factor`, short ones kept, those between
  // blended by where their wavelength falls.
  const double context = double(s.original_max_positions > 0 ? s.original_max_positions : c.max_positions);
  const double low_freq_wavelen = context / s.low_freq_factor, high_freq_wavelen = context / s.high_freq_factor;
  const torch::Tensor wavelen = 2 * M_PI / inv_freq;
  const torch::Tensor scaled = torch::where(wavelen > low_freq_wavelen, inv_freq / s.factor, inv_freq);
  const torch::Tensor smooth = (context / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
  const torch::Tensor blended = (1 - smooth) * scaled / s.factor + smooth * scaled;
  const torch::Tensor medium = (wavelen >= high_freq_wavelen) & (wavelen <= low_freq_wavelen);
  return torch::where(medium, blended, scaled);
}

LlamaModelImpl::LlamaModelImpl(const TextConfig& c) : config_(c) {
  embed_tokens = register_module("embed_tokens", Embedding(c.vocab_size, c.hidden, 0.02));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.layers; ++i) layers->push_back(LlamaLayer(c));
  norm = register_module("norm", RMSNorm(c.hidden, c.rms_norm_eps));
}

torch::Tensor LlamaModelImpl::forward(const torch::Tensor& embeds, const torch::Tensor& positions,
                                      const torch::Tensor& mask, KvCache* cache,
                                      std::vector<torch::Tensor>* hidden_states) {
  const int64_t t = embeds.size(1);
  const int64_t past = cache ? cache->length() : 0;
  const bool is_static = cache && cache->capacity > 0;
  torch::Tensor key_mask = mask;
  if (is_static) {
    CS_ASSERT(past + t <= cache->capacity, "a static KV cache of " + std::to_string(cache->capacity) + " slots given " +
                                               std::to_string(past + t) + " tokens");
    if (!cache->key_mask.defined())
      cache->key_mask = torch::zeros({mask.size(0), cache->capacity}, mask.options().dtype(torch::kBool));
    if (cache->decoding(t))
      cache->key_mask.index_copy_(1, cache->slot, mask);
    else
      cache->key_mask.narrow(1, past, t).copy_(mask);
    // After the prompt every slot is a key (one shape per step); the prompt, its own.
    key_mask = past > 0 ? cache->key_mask : mask;
  } else if (cache) {
    key_mask = cache->key_mask.defined() ? torch::cat({cache->key_mask, mask}, 1) : mask;
    cache->key_mask = key_mask;
  }
  const int64_t keys = key_mask.size(1);  // S: past + T, or every slot of a static cache
  // Query i (absolute position past + i) sees key j <= past + i, if key j is real, and
  // always itself: a padding query then has a finite row (its output is never used).
  // Without a cache and with padding on the right only (training and scoring batches),
  // no real query can see a padding key, so plain causal attention is exact for every
  // real token; it takes the flash kernel on GPU, which accepts no mask.
  // A step after cached tokens always builds the mask, and skips the check (a device sync).
  // A sliding window shorter than the keys needs the mask too.
  const int64_t window = config_.sliding_window;
  const bool causal_only =
      past == 0 && (window == 0 || t <= window) &&
      (t < 2 || !(mask.narrow(1, 1, t - 1) & mask.narrow(1, 0, t - 1).logical_not()).any().item<bool>());
  torch::Tensor allowed;  // [B, 1, T, S] bool, or undefined: causal only
  if (!causal_only) {
    const auto options = torch::TensorOptions().dtype(torch::kLong).device(embeds.device());
    // A decode step's query sits at the device-side slot (no host number in the step).
    const torch::Tensor q_index =
        is_static && cache->decoding(t) ? cache->slot : torch::arange(past, past + t, options);  // [T]
    const torch::Tensor k_index = torch::arange(0, keys, options);                               // [S]
    torch::Tensor causal = k_index.unsqueeze(0) <= q_index.unsqueeze(1);                         // [T, S]
    // Mistral's window, as transformers counts it: slot j is seen from slot i when
    // i - window < j (cache slots, not position ids).
    if (window > 0) causal = causal & (k_index.unsqueeze(0) > q_index.unsqueeze(1) - window);
    const torch::Tensor self = k_index.unsqueeze(0) == q_index.unsqueeze(1);  // [T, S]
    allowed = (causal.unsqueeze(0).unsqueeze(0) & key_mask.unsqueeze(1).unsqueeze(1)) | self;
  }
  if (!inv_freq_.defined() || inv_freq_.device() != embeds.device())
    inv_freq_ = rope_frequencies(config_, embeds.device());
  // [B, T] positions, or M-RoPE's [3, B, T] (Qwen2-VL).
  const auto [cos, sin] = positions.dim() == 3
                              ? mrope_cos_sin(positions, inv_freq_, config_.mrope_section, embeds.scalar_type())
                              : rope_cos_sin(positions, inv_freq_, embeds.scalar_type());

  torch::Tensor h = embeds;
  const bool checkpoint = checkpointing_ && is_training() && !cache && torch::GradMode::is_enabled();
  for (size_t i = 0; i < layers->size(); ++i) {
    auto* layer = layers[i]->as<LlamaLayer>();
    h = checkpoint ? checkpointed_layer_forward(*layer, h, cos, sin, allowed)
                   : layer->forward(h, cos, sin, allowed, cache, i);
    if (hidden_states) hidden_states->push_back(h);
  }
  if (is_static) {
    const bool step = cache->decoding(t);
    cache->filled += t;
    if (step)
      cache->slot.add_(1);
    else if (cache->slot.defined())
      cache->slot.fill_(cache->filled);
    else
      cache->slot = torch::full({1}, cache->filled, torch::TensorOptions().dtype(torch::kLong).device(embeds.device()));
  }
  return norm(h);
}

LanguageModelImpl::LanguageModelImpl(const TextConfig& c) : tied(c.tie_embeddings) {
  model = register_module("model", LlamaModel(c));
  if (!tied) lm_head = register_module("lm_head", LoraLinear(c.hidden, c.vocab_size, false));
}

torch::Tensor LanguageModelImpl::logits(const torch::Tensor& hidden) {
  return tied ? torch::nn::functional::linear(hidden, model->embed_tokens->weight) : lm_head(hidden);
}

}  // namespace clear_sweep
