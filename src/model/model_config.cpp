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
  const int64_t kv = t.kv_heads * t.head_dim();
  const int64_t t_layer = 2 * t.hidden * t.hidden + 2 * t.hidden * kv + 3 * t.hidden * t.intermediate + 2 * t.hidden;
  const int64_t t_total = t.vocab_size * t.hidden * (t.tie_embeddings ? 1 : 2) + t.layers * t_layer + t.hidden;
  return v_total + projector + t_total;
}

void ModelConfig::validate(const std::string& source) const {
  auto fail = [&](const std::string& key, const std::string& message) {
    throw Error(SourceLocation{source}, key, message);
  };
  auto positive = [&](const std::string& key, int64_t value) {
    if (value <= 0) fail(key, "must be positive, got " + std::to_string(value));
  };
  positive("vision_config.image_size", vision.image_size);
  positive("vision_config.patch_size", vision.patch_size);
  positive("vision_config.hidden_size", vision.hidden);
  positive("vision_config.num_hidden_layers", vision.layers);
  positive("vision_config.num_attention_heads", vision.heads);
  positive("text_config.vocab_size", text.vocab_size);
  positive("text_config.hidden_size", text.hidden);
  positive("text_config.num_hidden_layers", text.layers);
  positive("text_config.num_attention_heads", text.heads);
  positive("text_config.num_key_value_heads", text.kv_heads);
  if (vision.image_size % vision.patch_size) fail("vision_config.patch_size", "must divide image_size");
  if (vision.hidden % vision.heads) fail("vision_config.num_attention_heads", "must divide hidden_size");
  if (text.hidden % text.heads) fail("text_config.num_attention_heads", "must divide hidden_size");
  if (text.head_dim() % 2) fail("text_config.hidden_size", "head size must be even for rotary embeddings");
  if (text.heads % text.kv_heads) fail("text_config.num_key_value_heads", "must divide num_attention_heads");
  if (vision.select_layer == 0 || std::abs(vision.select_layer) > vision.layers)
    fail("vision_feature_layer", "must pick one of the " + std::to_string(vision.layers) + " vision layers");
  if (image_token_id < 0 || image_token_id >= text.vocab_size) fail("image_token_index", "outside the vocabulary");
}

}  // namespace clear_sweep
