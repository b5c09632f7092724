#include "model/model_config.h"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "common/error.h"
#include "common/suggest.h"

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

const std::vector<std::string>& model_preset_names() {
  static const std::vector<std::string> names{"tiny", "small", "llava-1.5-7b"};
  return names;
}

ModelConfig model_preset(const std::string& name, int64_t vocab_size) {
  ModelConfig c;
  c.preset = name;
  if (name == "tiny") {
    c.vision = VisionConfig{32, 8, 64, 2, 4, 128, 1e-5, -1};
    c.text = TextConfig{1024, 128, 4, 4, 2, 344, 256, 10000.0, 1e-5, false};
  } else if (name == "small") {
    c.vision = VisionConfig{64, 8, 192, 4, 6, 768, 1e-5, -2};
    c.text = TextConfig{4096, 384, 8, 8, 4, 1024, 1024, 10000.0, 1e-5, false};
  } else if (name == "llava-1.5-7b") {
    // llava-hf/llava-1.5-7b-hf: CLIP ViT-L/14 at 336 px, Llama-2-7B, vocabulary 32064.
    c.vision = VisionConfig{336, 14, 1024, 24, 16, 4096, 1e-5, -2};
    c.text = TextConfig{32064, 4096, 32, 32, 32, 11008, 4096, 10000.0, 1e-5, false};
    c.image_token_id = 32000;
    c.pad_token_id = 32001;
    return c;  // its vocabulary is its tokenizer's already
  } else {
    throw Error(SourceLocation{}, "model.preset", "unknown preset '" + name + "'",
                "presets: " + join(model_preset_names()));
  }
  if (vocab_size > 0) c.text.vocab_size = vocab_size;
  return c;
}

std::string model_config_json(const ModelConfig& c) {
  nlohmann::ordered_json j;
  j["architectures"] = {"LlavaForConditionalGeneration"};
  j["model_type"] = "llava";
  j["clear_sweep_preset"] = c.preset;
  j["clear_sweep_prompt"] = c.prompt_template;
  j["image_token_index"] = c.image_token_id;
  j["pad_token_id"] = c.pad_token_id;
  j["projector_hidden_act"] = "gelu";
  j["vision_feature_layer"] = c.vision.select_layer;
  j["vision_feature_select_strategy"] = c.vision.keep_class_token ? "full" : "default";
  j["vision_config"] = {{"model_type", "clip_vision_model"},
                        {"image_size", c.vision.image_size},
                        {"patch_size", c.vision.patch_size},
                        {"hidden_size", c.vision.hidden},
                        {"num_hidden_layers", c.vision.layers},
                        {"num_attention_heads", c.vision.heads},
                        {"intermediate_size", c.vision.intermediate},
                        {"layer_norm_eps", c.vision.layer_norm_eps},
                        {"hidden_act", "quick_gelu"}};
  j["text_config"] = {{"model_type", "llama"},
                      {"vocab_size", c.text.vocab_size},
                      {"hidden_size", c.text.hidden},
                      {"num_hidden_layers", c.text.layers},
                      {"num_attention_heads", c.text.heads},
                      {"num_key_value_heads", c.text.kv_heads},
                      {"intermediate_size", c.text.intermediate},
                      {"max_position_embeddings", c.text.max_positions},
                      {"rope_theta", c.text.rope_theta},
                      {"rms_norm_eps", c.text.rms_norm_eps},
                      {"tie_word_embeddings", c.text.tie_embeddings},
                      {"hidden_act", "silu"}};
  return j.dump(2) + "\n";
}

namespace {

/// Reads one config.json: typed lookups with transformers' defaults as fallbacks, and
/// checks that a setting has the one value the model implements.
class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& root, std::string source) : root_(root), source_(std::move(source)) {}

  template <typename T>
  T get(const nlohmann::json& obj, const std::string& prefix, const char* key, T fallback) const {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    T value{};
    if (!convert(*it, value)) fail(prefix + key, "has the wrong type: " + it->dump());
    return value;
  }

  /// A setting the model implements one way only: absent, null or `supported`.
  template <typename T>
  void require(const nlohmann::json& obj, const std::string& prefix, const char* key, T supported,
               const std::string& why) const {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return;
    T value{};
    const bool same = convert(*it, value) && value == supported;
    if (!same) fail(prefix + key, "is " + it->dump() + ": clear-sweep " + why);
  }

  const nlohmann::json& section(const char* key) const {
    if (!root_.contains(key) || !root_[key].is_object())
      throw Error(SourceLocation{source_}, key, "missing section",
                  "a LLaVA config.json has vision_config and text_config");
    return root_[key];
  }

  [[noreturn]] void fail(const std::string& key, const std::string& message) const {
    throw Error(SourceLocation{source_}, key, message);
  }

 private:
  /// `j` as a T, or false. An integer must be a JSON integer within T's range: nlohmann
  /// would convert 1e40 or -1 to an int or size with undefined behaviour (found by
  /// fuzz/fuzz_model_config).
  template <typename T>
  static bool convert(const nlohmann::json& j, T& out) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      if (!j.is_number_integer()) return false;
      if (j.is_number_unsigned()) {
        if (j.get<uint64_t>() > uint64_t(std::numeric_limits<T>::max())) return false;
      } else {
        const int64_t v = j.get<int64_t>();
        if (v < int64_t(std::numeric_limits<T>::min()) ||
            (v > 0 && uint64_t(v) > uint64_t(std::numeric_limits<T>::max())))
          return false;
      }
      out = j.get<T>();
      return true;
    } else {
      try {
        out = j.get<T>();
        return true;
      } catch (const nlohmann::json::exception&) {
        return false;
      }
    }
  }

  const nlohmann::json& root_;
  std::string source_;
};

}  // namespace

ModelConfig model_config_parse(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or a number that overflows
    throw Error(SourceLocation{source}, "json", std::string("not JSON: ") + e.what());
  }
  if (!j.is_object()) throw Error(SourceLocation{source}, "json", "not a JSON object");
  const ConfigReader r(j, source);
  ModelConfig c;
  r.require(j, "", "model_type", std::string("llava"), "loads LLaVA models (LlavaForConditionalGeneration) only");
  c.preset = r.get(j, "", "clear_sweep_preset", std::string("custom"));
  // Our own folders name their template; a checkpoint from elsewhere is llava-1.5's.
  c.prompt_template =
      r.get(j, "", "clear_sweep_prompt", std::string(j.contains("clear_sweep_preset") ? kPlainPrompt : kLlava15Prompt));
  if (c.prompt_template != kPlainPrompt && c.prompt_template != kLlava15Prompt)
    r.fail("clear_sweep_prompt", "unknown prompt template '" + c.prompt_template + "' (plain or llava-1.5)");
  // transformers' LlavaConfig defaults where a key is left out.
  c.image_token_id = r.get(j, "", "image_token_index", r.get(j, "", "image_token_id", int32_t(32000)));
  const auto& v = r.section("vision_config");
  const auto& t = r.section("text_config");
  c.pad_token_id = r.get(j, "", "pad_token_id", r.get(t, "text_config.", "pad_token_id", int32_t(-1)));
  if (j.contains("vision_feature_layer") && j["vision_feature_layer"].is_array())
    r.fail("vision_feature_layer", "is a list: features concatenated from several layers are not supported");
  c.vision.select_layer = r.get(j, "", "vision_feature_layer", int64_t(-2));
  const std::string strategy = r.get(j, "", "vision_feature_select_strategy", std::string("default"));
  if (strategy != "default" && strategy != "full")
    r.fail("vision_feature_select_strategy", "is '" + strategy + "': clear-sweep knows default and full");
  c.vision.keep_class_token = strategy == "full";
  r.require(j, "", "projector_hidden_act", std::string("gelu"), "implements a GELU projector only");
  r.require(j, "", "multimodal_projector_bias", true, "implements a projector with biases only");

  const std::string vp = "vision_config.";
  r.require(v, vp, "model_type", std::string("clip_vision_model"), "implements CLIP vision towers only");
  r.require(v, vp, "hidden_act", std::string("quick_gelu"), "implements CLIP's quick_gelu only");
  r.require(v, vp, "num_channels", int64_t(3), "reads RGB images only");
  // CLIPVisionConfig's defaults.
  c.vision.image_size = r.get(v, vp, "image_size", int64_t(224));
  c.vision.patch_size = r.get(v, vp, "patch_size", int64_t(32));
  c.vision.hidden = r.get(v, vp, "hidden_size", int64_t(768));
  c.vision.layers = r.get(v, vp, "num_hidden_layers", int64_t(12));
  c.vision.heads = r.get(v, vp, "num_attention_heads", int64_t(12));
  c.vision.intermediate = r.get(v, vp, "intermediate_size", int64_t(3072));
  c.vision.layer_norm_eps = r.get(v, vp, "layer_norm_eps", 1e-5);

  const std::string tp = "text_config.";
  r.require(t, tp, "model_type", std::string("llama"), "implements Llama decoders only");
  r.require(t, tp, "hidden_act", std::string("silu"), "implements Llama's SiLU MLP only");
  r.require(t, tp, "attention_bias", false, "implements attention without biases only");
  r.require(t, tp, "mlp_bias", false, "implements an MLP without biases only");
  r.require(t, tp, "pretraining_tp", int64_t(1), "computes the linear layers unsplit (pretraining_tp 1)");
  if (t.contains("rope_scaling") && !t["rope_scaling"].is_null())
    r.fail("text_config.rope_scaling", "is " + t["rope_scaling"].dump() + ": rotary scaling is not supported");
  // LlamaConfig's defaults.
  c.text.vocab_size = r.get(t, tp, "vocab_size", int64_t(32000));
  c.text.hidden = r.get(t, tp, "hidden_size", int64_t(4096));
  c.text.layers = r.get(t, tp, "num_hidden_layers", int64_t(32));
  c.text.heads = r.get(t, tp, "num_attention_heads", int64_t(32));
  c.text.kv_heads = r.get(t, tp, "num_key_value_heads", c.text.heads);
  c.text.intermediate = r.get(t, tp, "intermediate_size", int64_t(11008));
  c.text.max_positions = r.get(t, tp, "max_position_embeddings", int64_t(2048));
  c.text.rms_norm_eps = r.get(t, tp, "rms_norm_eps", 1e-6);
  c.text.rope_theta = r.get(t, tp, "rope_theta", 10000.0);
  if (t.contains("rope_parameters") && t["rope_parameters"].is_object()) {  // transformers 5
    const auto& rope = t["rope_parameters"];
    const std::string rp = tp + "rope_parameters.";
    r.require(rope, rp, "rope_type", std::string("default"), "implements the default rotary embedding only");
    c.text.rope_theta = r.get(rope, rp, "rope_theta", c.text.rope_theta);
  }
  c.text.tie_embeddings = r.get(t, tp, "tie_word_embeddings", r.get(j, "", "tie_word_embeddings", false));
  if (c.text.heads > 0 && c.text.hidden % c.text.heads == 0)
    r.require(t, tp, "head_dim", c.text.hidden / c.text.heads, "needs head_dim = hidden_size / num_attention_heads");
  if (c.pad_token_id >= c.text.vocab_size) r.fail("pad_token_id", "outside the vocabulary");
  c.validate(source);
  return c;
}

}  // namespace clear_sweep
