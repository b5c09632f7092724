#include "model/model_config.h"

#include <cstdint>
#include <cstdlib>

#include "common/error.h"

namespace clear_sweep {

TextConfig decoder_shape(int64_t vocab, int64_t hidden, int64_t intermediate, int64_t layers, int64_t heads,
                         int64_t kv_heads, int64_t max_positions, double rope_theta, double rms_norm_eps, bool tied) {
  TextConfig t;
  t.vocab_size = vocab, t.hidden = hidden, t.intermediate = intermediate, t.layers = layers, t.heads = heads;
  t.kv_heads = kv_heads, t.max_positions = max_positions, t.rope_theta = rope_theta, t.rms_norm_eps = rms_norm_eps;
  t.tie_embeddings = tied;
  return t;
}

int64_t ModelConfig::parameter_count() const {
  const auto& v = vision;
  const auto& t = text;
  int64_t v_total = 0, projector = 0;
  if (family == "qwen2_vl") {
    // Patch embedding (no bias); blocks of two norms, qkv and proj with biases and an MLP
    // (fc1/fc2, or SwiGLU with biases); the merger's norm and two-layer MLP.
    const int64_t norm = v.gated_mlp ? v.hidden : 2 * v.hidden;
    const int64_t mlp = v.gated_mlp ? 3 * v.hidden * v.intermediate + 2 * v.intermediate + v.hidden
                                    : 2 * v.hidden * v.intermediate + v.intermediate + v.hidden;
    const int64_t block = 2 * norm + 3 * v.hidden * v.hidden + 3 * v.hidden + v.hidden * v.hidden + v.hidden + mlp;
    const int64_t merged = v.hidden * v.spatial_merge * v.spatial_merge;
    v_total = 3 * v.temporal_patch * v.patch_size * v.patch_size * v.hidden + v.layers * block;
    projector = norm + merged * merged + merged + merged * t.hidden + t.hidden;
  } else if (family == "idefics2") {
    // SigLIP: patch embedding with a bias, positions of an image_size square, CLIP's blocks
    // (gelu MLP) without a class token or pre-norm. The connector: a SwiGLU projection
    // to the decoder's width, then the resampler (latents, per layer two input norms,
    // attention with grouped keys and values, a norm and a 4x SwiGLU; a final norm).
    const int64_t v_layer =
        4 * (v.hidden * v.hidden + v.hidden) + 2 * v.hidden * v.intermediate + v.intermediate + v.hidden + 4 * v.hidden;
    v_total = 3 * v.patch_size * v.patch_size * v.hidden + v.hidden + v.patches() * v.hidden + 2 * v.hidden +
              v.layers * v_layer;
    const auto& r = v.resampler;
    const int64_t r_layer = 3 * t.hidden + t.hidden * r.heads * r.head_dim * 2 +
                            2 * t.hidden * r.kv_heads * r.head_dim + 3 * t.hidden * 4 * t.hidden;
    projector =
        2 * v.hidden * t.intermediate + t.intermediate * t.hidden + r.latents * t.hidden + r.depth * r_layer + t.hidden;
  } else {
    const int64_t v_layer =
        4 * (v.hidden * v.hidden + v.hidden) + 2 * v.hidden * v.intermediate + v.intermediate + v.hidden + 4 * v.hidden;
    v_total = 3 * v.patch_size * v.patch_size * v.hidden + v.hidden + (v.patches() + 1) * v.hidden + 4 * v.hidden +
              v.layers * v_layer;
    projector = v.hidden * t.hidden + t.hidden + t.hidden * t.hidden + t.hidden;
  }
  const int64_t q = t.heads * t.head_dim(), kv = t.kv_heads * t.head_dim();
  const int64_t attention =
      2 * t.hidden * q + 2 * t.hidden * kv + (t.qkv_bias ? q + 2 * kv : 0) + (t.o_bias ? t.hidden : 0);
  const int64_t mlp = 3 * t.hidden * t.intermediate + (t.mlp_bias ? 2 * t.intermediate + t.hidden : 0);
  const int64_t t_layer = attention + mlp + 2 * t.hidden;
  const int64_t t_total = t.vocab_size * t.hidden * (t.tie_embeddings ? 1 : 2) + t.layers * t_layer + t.hidden;
  const int64_t newline = family == "llava_next" ? t.hidden : 0;  // LLaVA-NeXT's image_newline
  return (has_vision ? v_total + projector + newline : 0) + t_total;
}

void ModelConfig::validate(const std::string& source) const {
  auto fail = [&](const std::string& key, const std::string& message) {
    throw Error(SourceLocation{source}, key, message);
  };
  auto positive = [&](const std::string& key, int64_t value) {
    if (value <= 0) fail(key, "must be positive, got " + std::to_string(value));
  };
  // A text-only model's config.json has its decoder's keys at the top level.
  const std::string tp = has_vision ? "text_config." : "";
  positive(tp + "vocab_size", text.vocab_size);
  positive(tp + "hidden_size", text.hidden);
  positive(tp + "num_hidden_layers", text.layers);
  positive(tp + "num_attention_heads", text.heads);
  positive(tp + "num_key_value_heads", text.kv_heads);
  positive(tp + "intermediate_size", text.intermediate);
  if (text.explicit_head_dim <= 0 && text.hidden % text.heads)
    fail(tp + "num_attention_heads", "must divide hidden_size");
  if (text.head_dim() % 2) fail(tp + "head_dim", "head size must be even for rotary embeddings");
  if (text.heads % text.kv_heads) fail(tp + "num_key_value_heads", "must divide num_attention_heads");
  if (text.sliding_window < 0) fail(tp + "sliding_window", "must not be negative");
  if (pad_token_id >= text.vocab_size) fail("pad_token_id", "outside the vocabulary");
  if (!has_vision) return;
  // The encoder's keys as each family's config.json names them.
  const bool qwen = family == "qwen2_vl";
  const std::string v_hidden =
      qwen && model_type != "qwen2_5_vl" ? "vision_config.embed_dim" : "vision_config.hidden_size";
  const std::string v_layers = qwen ? "vision_config.depth" : "vision_config.num_hidden_layers";
  const std::string v_heads = qwen ? "vision_config.num_heads" : "vision_config.num_attention_heads";
  positive("vision_config.image_size", vision.image_size);
  positive("vision_config.patch_size", vision.patch_size);
  positive(v_hidden, vision.hidden);
  positive(v_layers, vision.layers);
  positive(v_heads, vision.heads);
  if (vision.image_size % vision.patch_size) fail("vision_config.patch_size", "must divide image_size");
  if (vision.hidden % vision.heads) fail(v_heads, "must divide " + v_hidden.substr(14));
  if (qwen && (vision.hidden / vision.heads) % 4)
    fail(v_heads, "gives a head size that is not a multiple of 4, which the 2-D rotary embedding needs");
  if (vision.select_layer == 0 || std::abs(vision.select_layer) > vision.layers)
    fail("vision_feature_layer", "must pick one of the " + std::to_string(vision.layers) + " vision layers");
  if (image_token_id < 0 || image_token_id >= text.vocab_size)
    fail(qwen || family == "idefics2" ? "image_token_id" : "image_token_index", "outside the vocabulary");
  if (vision.spatial_merge <= 0 || (vision.image_size / vision.patch_size) % vision.spatial_merge)
    fail("vision_config.spatial_merge_size", "must divide the image's patches per side");
  if (!text.mrope_section.empty()) {
    int64_t sum = 0;
    for (int64_t s : text.mrope_section) sum += s > 0 ? s : 1 << 20;
    if (text.mrope_section.size() != 3 || sum != text.head_dim() / 2)
      fail(tp + "rope_parameters.mrope_section", "must be three positive sections adding up to half the head size (" +
                                                     std::to_string(text.head_dim() / 2) + ")");
  }
}

}  // namespace clear_sweep
