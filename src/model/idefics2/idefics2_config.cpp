#include "model/idefics2/idefics2_config.h"

#include <algorithm>

#include "common/error.h"
#include "model/config_reader.h"
#include "model/vlm_prompt_keys.h"
#include "model/vlm_text_config.h"

namespace clear_sweep {
namespace {

constexpr const char* kSections = "an Idefics2 config.json has vision_config, perceiver_config and text_config";
constexpr int32_t kImageTokenId = 32001;  // <image>, Idefics2Config's default

const nlohmann::json& section_or_empty(const nlohmann::json& j, const char* key) {
  static const nlohmann::json empty = nlohmann::json::object();
  const auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}

}  // namespace

const std::vector<std::string>& idefics2_preset_names() {
  static const std::vector<std::string> names{"tiny-idefics2", "idefics2-8b"};
  return names;
}

ModelConfig idefics2_preset(const std::string& name, int64_t vocab_size) {
  const auto& names = idefics2_preset_names();
  CS_ASSERT(std::find(names.begin(), names.end(), name) != names.end(), "not an Idefics2 preset: " + name);
  ModelConfig c;
  c.family = kIdefics2Family;
  c.preset = name;
  VisionConfig& v = c.vision;
  v.hidden_act = "gelu_pytorch_tanh";
  v.layer_norm_eps = 1e-6;
  v.select_layer = -1;
  if (name == "tiny-idefics2") {
    // 32 px images in 8 px patches (16 per image), two SigLIP blocks; 16 latents.
    v.image_size = 32, v.patch_size = 8, v.hidden = 64, v.layers = 2, v.heads = 4, v.intermediate = 128;
    v.resampler = {16, 2, 4, 32, 2, 1e-5};
    c.text = decoder_shape(1024, 128, 344, 4, 4, 2, 512, 10000.0, 1e-5, false);
    c.text.model_type = "mistral";
    if (vocab_size > 0) c.text.vocab_size = vocab_size;
    return c;
  }
  // HuggingFaceM4/idefics2-8b: SigLIP so400m (980 px, 14 px patches), 64 latents of
  // depth 3, Mistral-7B-v0.1 with the three added tokens (vocabulary 32003).
  v.image_size = 980, v.patch_size = 14, v.hidden = 1152, v.layers = 27, v.heads = 16, v.intermediate = 4304;
  v.resampler = {64, 3, 16, 96, 4, 1e-5};
  c.text = decoder_shape(32003, 4096, 14336, 32, 32, 8, 32768, 10000.0, 1e-5, false);
  c.text.model_type = "mistral";
  c.text.sliding_window = 4096;
  c.image_token_id = kImageTokenId;
  c.pad_token_id = 0;
  return c;
}

std::string idefics2_config_json(const ModelConfig& c) {
  const VisionConfig& v = c.vision;
  nlohmann::ordered_json j;
  j["architectures"] = {"Idefics2ForConditionalGeneration"};
  j["model_type"] = "idefics2";
  write_vlm_prompt_keys(c, j);
  j["clear_sweep_image_splitting"] = v.image_splitting;
  j["image_token_id"] = c.image_token_id;
  j["pad_token_id"] = c.pad_token_id;
  j["tie_word_embeddings"] = c.text.tie_embeddings;
  j["vision_config"] = {{"model_type", "idefics2_vision"},     {"image_size", v.image_size},
                        {"patch_size", v.patch_size},          {"hidden_size", v.hidden},
                        {"num_hidden_layers", v.layers},       {"num_attention_heads", v.heads},
                        {"intermediate_size", v.intermediate}, {"layer_norm_eps", v.layer_norm_eps},
                        {"hidden_act", v.hidden_act},          {"num_channels", 3}};
  j["perceiver_config"] = {{"model_type", "idefics2_perceiver"},
                           {"hidden_size", c.text.hidden},
                           {"hidden_act", "silu"},
                           {"rms_norm_eps", v.resampler.rms_norm_eps},
                           {"resampler_n_latents", v.resampler.latents},
                           {"resampler_depth", v.resampler.depth},
                           {"resampler_n_heads", v.resampler.heads},
                           {"resampler_head_dim", v.resampler.head_dim},
                           {"num_key_value_heads", v.resampler.kv_heads}};
  j["text_config"] = llama_text_config_json(c.text);
  j["text_config"]["pad_token_id"] = c.pad_token_id;
  return j.dump(2) + "\n";
}

ModelConfig idefics2_config_parse(const nlohmann::json& j, const std::string& source) {
  const ConfigReader r(j, source);
  ModelConfig c;
  c.family = kIdefics2Family;
  c.model_type = "idefics2";
  read_vlm_prompt_keys(r, j, c, /*llava15=*/true);
  c.image_token_id = r.get(j, "", "image_token_id", kImageTokenId);
  c.vision.image_splitting = r.get(j, "", "clear_sweep_image_splitting", false);
  // Every section may be left out (transformers' defaults), but not be something else.
  for (const char* key : {"vision_config", "perceiver_config", "text_config"})
    if (j.contains(key) && !j[key].is_object() && !j[key].is_null())
      throw Error(SourceLocation{source}, key, "must be an object", kSections);
  const auto& v = section_or_empty(j, "vision_config");
  const auto& p = section_or_empty(j, "perceiver_config");
  const auto& t = section_or_empty(j, "text_config");

  // Idefics2VisionConfig's defaults.
  const std::string vp = "vision_config.";
  r.require(v, vp, "num_channels", int64_t(3), "reads RGB images only");
  VisionConfig& vision = c.vision;
  vision.image_size = r.get(v, vp, "image_size", int64_t(224));
  vision.patch_size = r.get(v, vp, "patch_size", int64_t(32));
  vision.hidden = r.get(v, vp, "hidden_size", int64_t(768));
  vision.layers = r.get(v, vp, "num_hidden_layers", int64_t(12));
  vision.heads = r.get(v, vp, "num_attention_heads", int64_t(12));
  vision.intermediate = r.get(v, vp, "intermediate_size", int64_t(3072));
  vision.layer_norm_eps = r.get(v, vp, "layer_norm_eps", 1e-6);
  vision.hidden_act = r.get(v, vp, "hidden_act", std::string("gelu_pytorch_tanh"));
  if (vision.hidden_act != "gelu_pytorch_tanh" && vision.hidden_act != "gelu" && vision.hidden_act != "quick_gelu")
    r.fail(vp + "hidden_act", "is '" + vision.hidden_act +
                                  "': clear-sweep computes gelu_pytorch_tanh, gelu and "
                                  "quick_gelu");
  vision.select_layer = -1;  // the last layer, then post_layernorm

  // The decoder: Mistral, with Idefics2Config's own defaults for it.
  const std::string tp = "text_config.";
  const std::string text_type = r.get(t, tp, "model_type", std::string("mistral"));
  if (text_type != "mistral" && text_type != "llama")
    r.fail(tp + "model_type", "is '" + text_type + "': clear-sweep's Idefics2 reads mistral and llama decoders");
  // Idefics2Config's own text defaults apply where text_config is left out; a given one
  // is read with its model_type's defaults, as transformers builds it.
  c.text = llama_text_config(r, t, tp, text_type,
                             j.contains("text_config") ? TextConfigDefaults{} : TextConfigDefaults{1e-5, 2048, 32768});
  c.text.tie_embeddings = r.get(t, tp, "tie_word_embeddings", r.get(j, "", "tie_word_embeddings", false));
  c.pad_token_id = r.get(j, "", "pad_token_id", r.get(t, tp, "pad_token_id", int32_t(0)));
  if (c.pad_token_id < 0) c.pad_token_id = 0;

  // Idefics2PerceiverConfig's defaults; its width is the decoder's (transformers resets a
  // different one to the decoder's, with the decoder's rms_norm_eps).
  const std::string pp = "perceiver_config.";
  r.require(p, pp, "hidden_act", std::string("silu"), "implements the resampler's SwiGLU (silu) only");
  auto& res = vision.resampler;
  const int64_t width = r.get(p, pp, "hidden_size", int64_t(4096));
  res.rms_norm_eps = width == c.text.hidden ? r.get(p, pp, "rms_norm_eps", 1e-6) : c.text.rms_norm_eps;
  res.latents = r.get(p, pp, "resampler_n_latents", int64_t(64));
  res.depth = r.get(p, pp, "resampler_depth", int64_t(3));
  res.heads = r.get(p, pp, "resampler_n_heads", int64_t(16));
  res.head_dim = r.get(p, pp, "resampler_head_dim", int64_t(96));
  res.kv_heads = r.get(p, pp, "num_key_value_heads", int64_t(4));
  for (const auto& [key, value] : {std::pair{"resampler_n_latents", res.latents},
                                   {"resampler_depth", res.depth},
                                   {"resampler_n_heads", res.heads},
                                   {"resampler_head_dim", res.head_dim},
                                   {"num_key_value_heads", res.kv_heads}})
    if (value <= 0) r.fail(pp + key, "must be positive, got " + std::to_string(value));
  if (res.heads % res.kv_heads) r.fail(pp + "num_key_value_heads", "must divide resampler_n_heads");
  c.validate(source);
  return c;
}

}  // namespace clear_sweep
