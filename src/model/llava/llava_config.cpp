#include "model/llava/llava_config.h"

#include <algorithm>

#include "common/error.h"
#include "model/config_reader.h"
#include "model/vlm_text_config.h"

namespace clear_sweep {
namespace {
constexpr const char* kSections = "a LLaVA config.json has vision_config and text_config";

/// A CLIP tower's shape in CLIPVisionConfig's terms, the feature layer LLaVA reads.
VisionConfig clip_vision(int64_t image_size, int64_t patch, int64_t hidden, int64_t layers, int64_t heads,
                         int64_t intermediate, double eps, int64_t select_layer) {
  VisionConfig v;
  v.image_size = image_size, v.patch_size = patch, v.hidden = hidden, v.layers = layers, v.heads = heads;
  v.intermediate = intermediate, v.layer_norm_eps = eps, v.select_layer = select_layer;
  return v;
}
}  // namespace

const std::vector<std::string>& llava_preset_names() {
  static const std::vector<std::string> names{"tiny", "small", "llava-1.5-7b"};
  return names;
}

ModelConfig llava_preset(const std::string& name, int64_t vocab_size) {
  ModelConfig c;
  c.family = "llava";
  c.preset = name;
  if (name == "tiny") {
    c.vision = clip_vision(32, 8, 64, 2, 4, 128, 1e-5, -1);
    c.text = decoder_shape(1024, 128, 344, 4, 4, 2, 256, 10000.0, 1e-5, false);
  } else if (name == "small") {
    c.vision = clip_vision(64, 8, 192, 4, 6, 768, 1e-5, -2);
    c.text = decoder_shape(4096, 384, 1024, 8, 8, 4, 1024, 10000.0, 1e-5, false);
  } else if (name == "llava-1.5-7b") {
    // llava-hf/llava-1.5-7b-hf: CLIP ViT-L/14 at 336 px, Llama-2-7B, vocabulary 32064.
    c.vision = clip_vision(336, 14, 1024, 24, 16, 4096, 1e-5, -2);
    c.text = decoder_shape(32064, 4096, 11008, 32, 32, 32, 4096, 10000.0, 1e-5, false);
    c.image_token_id = 32000;
    c.pad_token_id = 32001;
    return c;  // its vocabulary is its tokenizer's already
  } else {
    CS_ASSERT(false, "not a LLaVA preset: " + name);
  }
  if (vocab_size > 0) c.text.vocab_size = vocab_size;
  return c;
}

const std::vector<std::string>& llava_next_preset_names() {
  static const std::vector<std::string> names{"tiny-llava-next", "llava-v1.6-vicuna-7b", "llava-v1.6-mistral-7b"};
  return names;
}

ModelConfig llava_next_preset(const std::string& name, int64_t vocab_size) {
  const auto& names = llava_next_preset_names();
  CS_ASSERT(std::find(names.begin(), names.end(), name) != names.end(), "not a LLaVA-NeXT preset: " + name);
  ModelConfig c;
  c.family = kLlavaNextFamily;
  c.preset = name;
  if (name == "tiny-llava-next") {
    // tiny's tower on 32 px tiles, an image tiled at 32 x 64, 64 x 32 or 64 x 64: the base
    // view's 16 tokens, then up to 64 of the tile map (less what unpad crops) and 8 newlines.
    c.vision = clip_vision(32, 8, 64, 2, 4, 128, 1e-5, -1);
    c.vision.anyres_pinpoints = {{32, 64}, {64, 32}, {64, 64}};
    c.text = decoder_shape(1024, 128, 344, 4, 4, 2, 512, 10000.0, 1e-5, false);
    if (vocab_size > 0) c.text.vocab_size = vocab_size;
    return c;
  }
  // llava-hf/llava-v1.6-vicuna-7b-hf and llava-v1.6-mistral-7b-hf: CLIP ViT-L/14 at 336 px
  // tiles, the published pinpoints, Vicuna-7B (Llama-2) or Mistral-7B-Instruct-v0.2.
  c.vision = clip_vision(336, 14, 1024, 24, 16, 4096, 1e-5, -2);
  c.vision.anyres_pinpoints = {{336, 672}, {672, 336}, {672, 672}, {1008, 336}, {336, 1008}};
  if (name == "llava-v1.6-vicuna-7b") {
    c.text = decoder_shape(32064, 4096, 11008, 32, 32, 32, 4096, 10000.0, 1e-5, false);
  } else {
    c.text = decoder_shape(32064, 4096, 14336, 32, 32, 8, 32768, 1000000.0, 1e-5, false);
    c.text.model_type = "mistral";
  }
  c.image_token_id = 32000;
  c.pad_token_id = 32001;
  return c;
}

std::string llava_config_json(const ModelConfig& c) {
  const bool next = c.family == kLlavaNextFamily;
  nlohmann::ordered_json j;
  j["architectures"] = {next ? "LlavaNextForConditionalGeneration" : "LlavaForConditionalGeneration"};
  j["model_type"] = next ? "llava_next" : "llava";
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
  if (next) j["image_grid_pinpoints"] = c.vision.anyres_pinpoints;
  j["text_config"] = llama_text_config_json(c.text);
  return j.dump(2) + "\n";
}

ModelConfig llava_config_parse(const nlohmann::json& j, const std::string& source) {
  const ConfigReader r(j, source);
  ModelConfig c;
  // As the registry chose the family: by model_type, else by architectures.
  const auto arch = j.find("architectures");
  const bool next_arch = arch != j.end() && arch->is_array() && !arch->empty() && (*arch)[0].is_string() &&
                         (*arch)[0].get<std::string>() == "LlavaNextForConditionalGeneration";
  const bool next = j.contains("model_type") ? r.get(j, "", "model_type", std::string()) == "llava_next" : next_arch;
  c.family = next ? kLlavaNextFamily : "llava";
  c.preset = r.get(j, "", "clear_sweep_preset", std::string("custom"));
  // Our own folders name their template; a checkpoint from elsewhere is llava-1.5's.
  c.prompt_template =
      r.get(j, "", "clear_sweep_prompt", std::string(j.contains("clear_sweep_preset") ? kPlainPrompt : kLlava15Prompt));
  if (c.prompt_template != kPlainPrompt && c.prompt_template != kLlava15Prompt)
    r.fail("clear_sweep_prompt", "unknown prompt template '" + c.prompt_template + "' (plain or llava-1.5)");
  // transformers' LlavaConfig defaults where a key is left out.
  c.image_token_id = r.get(j, "", "image_token_index", r.get(j, "", "image_token_id", int32_t(32000)));
  const auto& v = r.section("vision_config", kSections);
  const auto& t = r.section("text_config", kSections);
  c.pad_token_id = r.get(j, "", "pad_token_id", r.get(t, "text_config.", "pad_token_id", int32_t(-1)));
  if (j.contains("vision_feature_layer") && j["vision_feature_layer"].is_array())
    r.fail("vision_feature_layer", "is a list: features concatenated from several layers are not supported");
  c.vision.select_layer = r.get(j, "", "vision_feature_layer", int64_t(-2));
  const std::string strategy = r.get(j, "", "vision_feature_select_strategy", std::string("default"));
  if (strategy != "default" && strategy != "full")
    r.fail("vision_feature_select_strategy", "is '" + strategy + "': clear-sweep knows default and full");
  c.vision.keep_class_token = strategy == "full";
  if (next && c.vision.keep_class_token)
    r.fail("vision_feature_select_strategy", "is \"full\": LLaVA-NeXT lays its tiles out without a class token");
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
  // LLaVA-1.5 is Vicuna (Llama); LLaVA-NeXT is Vicuna or Mistral.
  c.text.model_type = r.get(t, tp, "model_type", std::string("llama"));
  if (c.text.model_type != "llama" && !(next && c.text.model_type == "mistral"))
    r.fail(tp + "model_type", "is '" + c.text.model_type + "': clear-sweep's " + c.family + " reads " +
                                  (next ? "llama and mistral" : "llama") + " decoders");
  c.text = llama_text_config(r, t, tp, c.text.model_type);
  c.text.tie_embeddings = r.get(t, tp, "tie_word_embeddings", r.get(j, "", "tie_word_embeddings", false));
  if (c.pad_token_id >= c.text.vocab_size) r.fail("pad_token_id", "outside the vocabulary");
  if (next) {
    if (c.vision.image_size <= 0) r.fail("vision_config.image_size", "must be positive");
    // LlavaNextConfig's default pinpoints where the key is left out.
    const nlohmann::json published = {{336, 672}, {672, 336}, {672, 672}, {1008, 336}, {336, 1008}};
    const nlohmann::json& points = j.contains("image_grid_pinpoints") && !j["image_grid_pinpoints"].is_null()
                                       ? j["image_grid_pinpoints"]
                                       : published;
    if (!points.is_array() || points.empty())
      r.fail("image_grid_pinpoints", "must be a non-empty list of [height, width]");
    for (const auto& point : points) {
      if (!point.is_array() || point.size() != 2 || !point[0].is_number_integer() || !point[1].is_number_integer() ||
          point[0].get<int64_t>() <= 0 || point[1].get<int64_t>() <= 0 || point[0].get<int64_t>() > (1 << 20) ||
          point[1].get<int64_t>() > (1 << 20) || point[0].get<int64_t>() % c.vision.image_size ||
          point[1].get<int64_t>() % c.vision.image_size)
        r.fail("image_grid_pinpoints", "has " + point.dump() + ": each must be [height, width], multiples of " +
                                           "vision_config.image_size (" + std::to_string(c.vision.image_size) + ")");
      c.vision.anyres_pinpoints.push_back({point[0].get<int64_t>(), point[1].get<int64_t>()});
    }
  }
  c.validate(source);
  return c;
}

}  // namespace clear_sweep
