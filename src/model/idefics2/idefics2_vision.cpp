#include "model/idefics2/idefics2_vision.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/error.h"
#include "model/parameter_factory.h"

namespace clear_sweep {

torch::Tensor idefics2_position_ids(PatchGrid2d grid, int64_t side) {
  // transformers' arithmetic, op for op (float32 on the host), so that a patch on a
  // bucket's edge lands where it lands there.
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat);
  const torch::Tensor boundaries = torch::arange(1.0 / double(side), 1.0, 1.0 / double(side), f32);
  auto buckets = [&](int64_t n) {
    const torch::Tensor step = torch::tensor(n, torch::kLong).reciprocal() * 1.0;  // Python's 1.0 / n_patches
    const torch::Tensor fractions = torch::clamp_max(torch::arange(n, f32) * step, 1.0 - 1e-6);
    return torch::bucketize(fractions, boundaries, /*out_int32=*/false, /*right=*/true);  // [n] long
  };
  return (buckets(grid.h).unsqueeze(1) * side + buckets(grid.w).unsqueeze(0)).reshape({-1});
}

Idefics2PatchEmbeddingImpl::Idefics2PatchEmbeddingImpl(const VisionConfig& c) {
  const double bound = 1.0 / std::sqrt(double(3 * c.patch_size * c.patch_size));  // Conv2d's default
  weight = register_parameter("weight",
                              make_parameter({c.hidden, 3, c.patch_size, c.patch_size}, ParameterInit::uniform(bound)));
  bias = register_parameter("bias", make_parameter({c.hidden}, ParameterInit::uniform(bound)));
}

torch::Tensor Idefics2PatchEmbeddingImpl::forward(const torch::Tensor& patches) {
  // A kernel = stride convolution over whole patches is this linear map.
  return torch::nn::functional::linear(patches.to(weight.scalar_type()), weight.view({weight.size(0), -1}), bias);
}

Idefics2VisionEmbeddingsImpl::Idefics2VisionEmbeddingsImpl(const VisionConfig& c) {
  patch_embedding = register_module("patch_embedding", Idefics2PatchEmbedding(c));
  position_embedding = register_module("position_embedding", Embedding(c.patches(), c.hidden, 0.02));
}

Idefics2VisionTransformerImpl::Idefics2VisionTransformerImpl(const VisionConfig& c)
    : side_(c.image_size / c.patch_size) {
  embeddings = register_module("embeddings", Idefics2VisionEmbeddings(c));
  encoder = register_module("encoder", ClipEncoder(c));
  post_layernorm = register_module("post_layernorm", LayerNorm(c.hidden, c.layer_norm_eps));
}

CropFeatures Idefics2VisionTransformerImpl::forward(const torch::Tensor& patches,
                                                    const std::vector<PatchGrid2d>& grids) {
  std::vector<int64_t> lengths;
  std::vector<torch::Tensor> positions;
  for (const PatchGrid2d& g : grids) {
    lengths.push_back(g.h * g.w);
    positions.push_back(idefics2_position_ids(g, side_));
  }
  const int64_t total = std::accumulate(lengths.begin(), lengths.end(), int64_t(0));
  CS_ASSERT(!grids.empty() && total == patches.size(0), "the crops' grids do not cover their patches");
  auto& e = *embeddings;
  const torch::Tensor ids = torch::cat(positions).to(patches.device());
  const torch::Tensor x = e.patch_embedding(patches) + e.position_embedding(ids);  // [P, Dv]
  const int64_t crops = int64_t(grids.size());
  const int64_t longest = *std::max_element(lengths.begin(), lengths.end());
  const bool ragged = total != crops * longest;
  CropFeatures out;
  torch::Tensor h, allowed;
  if (!ragged) {
    h = x.view({crops, longest, x.size(1)});
  } else {
    h = torch::nn::utils::rnn::pad_sequence(x.split_with_sizes(lengths), /*batch_first=*/true);  // [C, Pmax, Dv]
    const torch::Tensor sizes = torch::tensor(lengths, torch::kLong).to(x.device());
    out.mask = torch::arange(longest, sizes.options()).unsqueeze(0) < sizes.unsqueeze(1);  // [C, Pmax]
    allowed = out.mask.view({crops, 1, 1, longest}).expand({crops, 1, longest, longest});  // padding as keys
  }
  for (const auto& layer : *encoder->layers) h = layer->as<ClipLayer>()->forward(h, allowed);
  out.features = post_layernorm(h);
  return out;
}

Idefics2MlpImpl::Idefics2MlpImpl(int64_t in, int64_t intermediate, int64_t out) {
  gate_proj = register_module("gate_proj", LoraLinear(in, intermediate, false));
  up_proj = register_module("up_proj", LoraLinear(in, intermediate, false));
  down_proj = register_module("down_proj", LoraLinear(intermediate, out, false));
}

torch::Tensor Idefics2MlpImpl::forward(const torch::Tensor& x) {
  return down_proj(torch::silu(gate_proj(x)) * up_proj(x));
}

Idefics2PerceiverAttentionImpl::Idefics2PerceiverAttentionImpl(int64_t width, const VisionConfig::Resampler& r)
    : heads_(r.heads), kv_heads_(r.kv_heads), head_dim_(r.head_dim) {
  q_proj = register_module("q_proj", LoraLinear(width, r.heads * r.head_dim, false));
  k_proj = register_module("k_proj", LoraLinear(width, r.kv_heads * r.head_dim, false));
  v_proj = register_module("v_proj", LoraLinear(width, r.kv_heads * r.head_dim, false));
  o_proj = register_module("o_proj", LoraLinear(r.heads * r.head_dim, width, false));
}

torch::Tensor Idefics2PerceiverAttentionImpl::forward(const torch::Tensor& latents, const torch::Tensor& context,
                                                      const torch::Tensor& allowed) {
  const int64_t crops = latents.size(0), count = latents.size(1);
  const torch::Tensor both = torch::cat({context, latents}, 1);  // [C, P + L, D]
  const int64_t keys = both.size(1);
  const torch::Tensor q = q_proj(latents).view({crops, count, heads_, head_dim_}).transpose(1, 2);
  const torch::Tensor k = k_proj(both).view({crops, keys, kv_heads_, head_dim_}).transpose(1, 2);
  const torch::Tensor v = v_proj(both).view({crops, keys, kv_heads_, head_dim_}).transpose(1, 2);
  const torch::Tensor out = attend(q, k, v, allowed);  // [C, H, L, hd]
  return o_proj(out.transpose(1, 2).reshape({crops, count, heads_ * head_dim_}));
}

Idefics2PerceiverLayerImpl::Idefics2PerceiverLayerImpl(int64_t width, const VisionConfig::Resampler& r) {
  input_latents_norm = register_module("input_latents_norm", RMSNorm(width, r.rms_norm_eps));
  input_context_norm = register_module("input_context_norm", RMSNorm(width, r.rms_norm_eps));
  self_attn = register_module("self_attn", Idefics2PerceiverAttention(width, r));
  post_attention_layernorm = register_module("post_attention_layernorm", RMSNorm(width, r.rms_norm_eps));
  mlp = register_module("mlp", Idefics2Mlp(width, 4 * width, width));
}

torch::Tensor Idefics2PerceiverLayerImpl::forward(const torch::Tensor& latents, const torch::Tensor& context,
                                                  const torch::Tensor& allowed) {
  const torch::Tensor h = latents + self_attn(input_latents_norm(latents), input_context_norm(context), allowed);
  return h + mlp(post_attention_layernorm(h));
}

Idefics2PerceiverResamplerImpl::Idefics2PerceiverResamplerImpl(int64_t width, const VisionConfig::Resampler& r) {
  // Random, not transformers' ones: identical latents ask identical questions, and a
  // model trained from scratch (our presets) would take long to tell them apart.
  latents = register_parameter("latents", make_parameter({r.latents, width}, ParameterInit::normal(1.0)));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < r.depth; ++i) layers->push_back(Idefics2PerceiverLayer(width, r));
  norm = register_module("norm", RMSNorm(width, r.rms_norm_eps));
}

torch::Tensor Idefics2PerceiverResamplerImpl::forward(const torch::Tensor& context, const torch::Tensor& mask) {
  const int64_t crops = context.size(0), count = latents.size(0);
  torch::Tensor h = latents.to(context.scalar_type()).unsqueeze(0).expand({crops, count, latents.size(1)});
  torch::Tensor allowed;  // [C, 1, L, P + L]: a crop's padding is no key; the latents always are
  if (mask.defined()) {
    const torch::Tensor keys = torch::cat({mask, torch::ones({crops, count}, mask.options())}, 1);
    allowed = keys.view({crops, 1, 1, keys.size(1)}).expand({crops, 1, count, keys.size(1)});
  }
  for (const auto& layer : *layers) h = layer->as<Idefics2PerceiverLayer>()->forward(h, context, allowed);
  return norm(h);
}

Idefics2ConnectorImpl::Idefics2ConnectorImpl(const VisionConfig& v, const TextConfig& t) {
  modality_projection = register_module("modality_projection", Idefics2Mlp(v.hidden, t.intermediate, t.hidden));
  perceiver_resampler = register_module("perceiver_resampler", Idefics2PerceiverResampler(t.hidden, v.resampler));
}

torch::Tensor Idefics2ConnectorImpl::forward(const CropFeatures& crops) {
  return perceiver_resampler(modality_projection(crops.features), crops.mask);
}

}  // namespace clear_sweep
