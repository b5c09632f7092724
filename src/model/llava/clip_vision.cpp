#include "model/llava/clip_vision.h"

#include "model/attention.h"
#include "model/parameter_factory.h"

namespace clear_sweep {

ClipEmbeddingsImpl::ClipEmbeddingsImpl(const VisionConfig& c) {
  class_embedding = register_parameter("class_embedding", make_parameter({c.hidden}, ParameterInit::normal(0.02)));
  patch_embedding = register_module("patch_embedding", PatchEmbedding(3, c.hidden, c.patch_size));
  position_embedding = register_module("position_embedding", Embedding(c.patches() + 1, c.hidden, 0.02));
}

torch::Tensor ClipEmbeddingsImpl::forward(const torch::Tensor& pixels) {
  const torch::Tensor patches =
      patch_embedding(pixels.to(patch_embedding->weight.scalar_type())).flatten(2).transpose(1, 2);  // [N, P, D]
  const torch::Tensor cls = class_embedding.to(patches.scalar_type()).expand({patches.size(0), 1, patches.size(2)});
  return torch::cat({cls, patches}, 1) + position_embedding->weight.unsqueeze(0);
}

ClipAttentionImpl::ClipAttentionImpl(const VisionConfig& c) : heads_(c.heads) {
  q_proj = register_module("q_proj", LoraLinear(c.hidden, c.hidden, true));
  k_proj = register_module("k_proj", LoraLinear(c.hidden, c.hidden, true));
  v_proj = register_module("v_proj", LoraLinear(c.hidden, c.hidden, true));
  out_proj = register_module("out_proj", LoraLinear(c.hidden, c.hidden, true));
}

torch::Tensor ClipAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& allowed) {
  const int64_t n = x.size(0), t = x.size(1), d = x.size(2) / heads_;
  auto split = [&](const torch::Tensor& y) { return y.view({n, t, heads_, d}).transpose(1, 2); };
  const torch::Tensor out = attend(split(q_proj(x)), split(k_proj(x)), split(v_proj(x)), allowed);
  return out_proj(out.transpose(1, 2).reshape({n, t, heads_ * d}));
}

ClipMlpImpl::ClipMlpImpl(const VisionConfig& c) : act_(c.hidden_act) {
  fc1 = register_module("fc1", LoraLinear(c.hidden, c.intermediate, true));
  fc2 = register_module("fc2", LoraLinear(c.intermediate, c.hidden, true));
}

torch::Tensor ClipMlpImpl::forward(const torch::Tensor& x) { return fc2(activation(act_, fc1(x))); }

ClipLayerImpl::ClipLayerImpl(const VisionConfig& c) {
  layer_norm1 = register_module("layer_norm1", LayerNorm(c.hidden, c.layer_norm_eps));
  self_attn = register_module("self_attn", ClipAttention(c));
  layer_norm2 = register_module("layer_norm2", LayerNorm(c.hidden, c.layer_norm_eps));
  mlp = register_module("mlp", ClipMlp(c));
}

torch::Tensor ClipLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& allowed) {
  const torch::Tensor h = x + self_attn(layer_norm1(x), allowed);
  return h + mlp(layer_norm2(h));
}

ClipEncoderImpl::ClipEncoderImpl(const VisionConfig& c) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.layers; ++i) layers->push_back(ClipLayer(c));
}

ClipVisionModelImpl::ClipVisionModelImpl(const VisionConfig& c) {
  embeddings = register_module("embeddings", ClipEmbeddings(c));
  pre_layrnorm = register_module("pre_layrnorm", LayerNorm(c.hidden, c.layer_norm_eps));
  encoder = register_module("encoder", ClipEncoder(c));
  post_layernorm = register_module("post_layernorm", LayerNorm(c.hidden, c.layer_norm_eps));
}

VisionTowerImpl::VisionTowerImpl(const VisionConfig& c)
    : select_layer_(c.select_layer), keep_class_token_(c.keep_class_token) {
  vision_model = register_module("vision_model", ClipVisionModel(c));
}

torch::Tensor VisionTowerImpl::forward(const torch::Tensor& pixels) {
  auto& m = *vision_model;
  torch::Tensor h = m.pre_layrnorm(m.embeddings(pixels));
  const int64_t layers = int64_t(m.encoder->layers->size());
  // Hugging Face's hidden_states: index 0 is the embeddings, i the output of layer i;
  // select_layer -2 is the penultimate layer's output.
  const int64_t wanted = select_layer_ < 0 ? layers + 1 + select_layer_ : select_layer_;
  for (int64_t i = 0; i < wanted; ++i) h = m.encoder->layers[size_t(i)]->as<ClipLayer>()->forward(h);
  return keep_class_token_ ? h : h.narrow(1, 1, h.size(1) - 1);  // "default" drops the class token
}

ProjectorImpl::ProjectorImpl(int64_t vision_hidden, int64_t text_hidden) {
  linear_1 = register_module("linear_1", LoraLinear(vision_hidden, text_hidden, true));
  linear_2 = register_module("linear_2", LoraLinear(text_hidden, text_hidden, true));
}

torch::Tensor ProjectorImpl::forward(const torch::Tensor& x) { return linear_2(torch::gelu(linear_1(x))); }

}  // namespace clear_sweep
