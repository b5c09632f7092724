#include "model/model_config.h"

#include <cstdint>
#include <cstdlib>

#include "common/error.h"

namespace clear_sweep {

int64_t ModelConfig::parameter_count() const {
  const auto& v = vision;
  const int64_t v_layer =
      4 * (v.hidden * v.hidden + v.hidden) + 2 * v.hidden * v.intermediate + v.intermediate + v.hidden + 4 * v.hidden;
  const int64_t v_total = 3 * v.patch_size * v.patch_size * v.hidden + v.hidden + (v.patches() + 1) * v.hidden +
                          4 * v.hidden + v.layers * v_layer;
  const auto& t = text;
  const int64_t projector = v.hidden * t.hidden + t.hidden + t.hidden * t.hidden + t.hidden;
  const int64_t q = t.heads * t.head_dim(), kv = t.kv_heads * t.head_dim();
  const int64_t attention =
      2 * t.hidden * q + 2 * t.hidden * kv + (t.qkv_bias ? q + 2 * kv : 0) + (t.o_bias ? t.hidden : 0);
  const int64_t mlp = 3 * t.hidden * t.intermediate + (t.mlp_bias ? 2 * t.intermediate + t.hidden : 0);
  const int64_t t_layer = attention + mlp + 2 * t.hidden;
  const int64_t t_total = t.vocab_size * t.hidden * (t.tie_embeddings ? 1 : 2) + t.layers * t_layer + t.hidden;
  return (has_vision ? v_total + projector : 0) + t_total;
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
  positive("vision_config.image_size", vision.image_size);
  positive("vision_config.patch_size", vision.patch_size);
  positive("vision_config.hidden_size", vision.hidden);
  positive("vision_config.num_hidden_layers", vision.layers);
  positive("vision_config.num_attention_heads", vision.heads);
  if (vision.image_size % vision.patch_size) fail("vision_config.patch_size", "must divide image_size");
  if (vision.hidden % vision.heads) fail("vision_config.num_attention_heads", "must divide hidden_size");
  if (vision.select_layer == 0 || std::abs(vision.select_layer) > vision.layers)
    fail("vision_feature_layer", "must pick one of the " + std::to_string(vision.layers) + " vision layers");
  if (image_token_id < 0 || image_token_id >= text.vocab_size) fail("image_token_index", "outside the vocabulary");
}

}  // namespace clear_sweep
