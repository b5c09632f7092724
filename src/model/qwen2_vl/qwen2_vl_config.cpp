#include "model/qwen2_vl/qwen2_vl_config.h"

#include <algorithm>
#include <cstdint>

#include "common/error.h"
#include "model/config_reader.h"
#include "model/vlm_prompt_keys.h"

namespace clear_sweep {
namespace {

constexpr int32_t kImageTokenId = 151655;  // <|image_pad|>, Qwen2VLConfig's default
constexpr int32_t kVideoTokenId = 151656;
constexpr int32_t kVisionStartId = 151652;
constexpr int32_t kVisionEndId = 151653;

bool is_qwen25(const ModelConfig& c) { return c.model_type == kQwen25VlType; }

/// obj[key] as a list of integers (each a JSON integer within int64's range), or
/// `fallback` when absent or null.
std::vector<int64_t> integers(const ConfigReader& r, const nlohmann::json& obj, const std::string& prefix,
                              const char* key, std::vector<int64_t> fallback) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_array()) r.fail(prefix + key, "must be a list of integers, got " + it->dump());
  std::vector<int64_t> out;
  for (const auto& e : *it) {
    if (!e.is_number_integer() || (e.is_number_unsigned() && e.get<uint64_t>() > uint64_t(INT64_MAX)))
      r.fail(prefix + key, "must be a list of integers, got " + it->dump());
    out.push_back(e.get<int64_t>());
  }
  return out;
}

/// The rotary settings: rope_parameters (transformers 5) or rope_scaling with
/// rope_theta beside it (the hub's), M-RoPE's sections in either.
void read_rope(const ConfigReader& r, const nlohmann::json& t, const std::string& tp, TextConfig& text) {
  text.rope_theta = r.get(t, tp, "rope_theta", 1000000.0);  // Qwen2VLTextConfig's default_theta
  text.mrope_section = {16, 24, 24};                        // transformers' default where none is given
  const char* key = t.contains("rope_parameters") && t["rope_parameters"].is_object() ? "rope_parameters"
                    : t.contains("rope_scaling") && t["rope_scaling"].is_object()     ? "rope_scaling"
                                                                                      : nullptr;
  if (!key) return;
  const auto& rope = t[key];
  const std::string p = tp + key + ".";
  const std::string type = r.get(rope, p, "rope_type", r.get(rope, p, "type", std::string("default")));
  if (type != "default" && type != "mrope")
    r.fail(p + "rope_type", "is '" + type + "': clear-sweep computes Qwen2-VL's M-RoPE without scaling");
  text.rope_theta = r.get(rope, p, "rope_theta", text.rope_theta);
  text.mrope_section = integers(r, rope, p, "mrope_section", text.mrope_section);
}

const nlohmann::json& empty_object() {
  static const nlohmann::json empty = nlohmann::json::object();
  return empty;
}

}  // namespace

ModelConfig qwen2_vl_config_parse(const nlohmann::json& j, const std::string& source) {
  const ConfigReader r(j, source);
  ModelConfig c;
  c.family = "qwen2_vl";
  c.model_type = r.get(j, "", "model_type", std::string());
  if (c.model_type.empty()) {  // the family was found by architectures
    const auto arch = j.find("architectures");
    const bool qwen25 = arch != j.end() && arch->is_array() && !arch->empty() && (*arch)[0].is_string() &&
                        (*arch)[0].get<std::string>().rfind("Qwen2_5", 0) == 0;
    c.model_type = qwen25 ? kQwen25VlType : kQwen2VlType;
  }
  read_vlm_prompt_keys(r, j, c);
  c.image_token_id = r.get(j, "", "image_token_id", kImageTokenId);

  // The decoder: text_config (transformers 4.52 and later), else the top level (the hub's).
  const bool nested = j.contains("text_config") && j["text_config"].is_object();
  const nlohmann::json& t = nested ? j["text_config"] : j;
  const std::string tp = nested ? "text_config." : "";
  r.require(t, tp, "hidden_act", std::string("silu"), "implements the SiLU (SwiGLU) MLP only");
  r.require(t, tp, "use_sliding_window", false, "computes full attention in every layer (use_sliding_window false)");
  TextConfig& text = c.text;  // Qwen2VLTextConfig's and Qwen2_5_VLTextConfig's defaults
  text.vocab_size = r.get(t, tp, "vocab_size", int64_t(152064));
  text.hidden = r.get(t, tp, "hidden_size", int64_t(8192));
  text.intermediate = r.get(t, tp, "intermediate_size", int64_t(29568));
  text.layers = r.get(t, tp, "num_hidden_layers", int64_t(80));
  text.heads = r.get(t, tp, "num_attention_heads", int64_t(64));
  text.kv_heads = r.get(t, tp, "num_key_value_heads", int64_t(8));
  text.max_positions = r.get(t, tp, "max_position_embeddings", int64_t(32768));
  text.rms_norm_eps = r.get(t, tp, "rms_norm_eps", 1e-5);
  text.qkv_bias = true;  // Qwen2's attention: biases on q, k and v, none on o
  if (text.heads > 0 && text.hidden % text.heads == 0)
    r.require(t, tp, "head_dim", text.hidden / text.heads, "needs head_dim = hidden_size / num_attention_heads");
  // Tied where either says so (transformers 5 moved the key to the top level).
  text.tie_embeddings = r.get(j, "", "tie_word_embeddings", false) || r.get(t, tp, "tie_word_embeddings", false);
  read_rope(r, t, tp, text);
  c.pad_token_id = r.get(t, tp, "pad_token_id", r.get(j, "", "pad_token_id", int32_t(-1)));

  // The encoder.
  const nlohmann::json& v =
      j.contains("vision_config") && j["vision_config"].is_object() ? j["vision_config"] : empty_object();
  const std::string vp = "vision_config.";
  VisionConfig& vision = c.vision;
  r.require(v, vp, "in_channels", int64_t(3), "reads RGB images only");
  r.require(v, vp, "in_chans", int64_t(3), "reads RGB images only");
  vision.layers = r.get(v, vp, "depth", int64_t(32));
  vision.heads = r.get(v, vp, "num_heads", int64_t(16));
  vision.patch_size = r.get(v, vp, "patch_size", int64_t(14));
  vision.spatial_merge = r.get(v, vp, "spatial_merge_size", int64_t(2));
  vision.temporal_patch = r.get(v, vp, "temporal_patch_size", int64_t(2));
  vision.select_layer = -1;  // the last block, then the merger
  int64_t merger_out = 0;
  std::string merger_key;
  if (is_qwen25(c)) {
    vision.hidden = r.get(v, vp, "hidden_size", int64_t(3584));
    vision.intermediate = r.get(v, vp, "intermediate_size", int64_t(3420));
    vision.hidden_act = r.get(v, vp, "hidden_act", std::string("silu"));
    vision.gated_mlp = true;
    vision.window_size = r.get(v, vp, "window_size", int64_t(112));
    vision.full_attention_blocks = integers(r, v, vp, "fullatt_block_indexes", {7, 15, 23, 31});
    merger_out = r.get(v, vp, "out_hidden_size", int64_t(3584));
    merger_key = vp + "out_hidden_size";
    if (vision.window_size < vision.patch_size * vision.spatial_merge)
      r.fail(vp + "window_size", "must cover at least one merged patch (patch_size x spatial_merge_size pixels)");
  } else {
    vision.hidden = r.get(v, vp, "embed_dim", int64_t(1280));
    vision.intermediate = vision.hidden * r.get(v, vp, "mlp_ratio", int64_t(4));
    vision.hidden_act = r.get(v, vp, "hidden_act", std::string("quick_gelu"));
    merger_out = r.get(v, vp, "hidden_size", int64_t(3584));
    merger_key = vp + "hidden_size";
  }
  const std::vector<std::string> acts{"quick_gelu", "gelu", "gelu_pytorch_tanh", "silu"};
  if (std::find(acts.begin(), acts.end(), vision.hidden_act) == acts.end())
    r.fail(vp + "hidden_act", "is '" + vision.hidden_act +
                                  "': clear-sweep knows quick_gelu, gelu, gelu_pytorch_tanh "
                                  "and silu");
  if (v.contains("rope_parameters") && v["rope_parameters"].is_object())
    vision.rope_theta = r.get(v["rope_parameters"], vp + "rope_parameters.", "rope_theta", 10000.0);
  if (merger_out != text.hidden)
    r.fail(merger_key, "is " + std::to_string(merger_out) + ": the merger must reach the decoder's hidden_size (" +
                           std::to_string(text.hidden) + ")");
  // Our presets' square image; a real folder's images keep their own size (the
  // processor's smart_resize), so the smallest one stands in.
  vision.image_size = r.get(j, "", "clear_sweep_image_size", vision.patch_size * vision.spatial_merge);
  for (int64_t b : vision.full_attention_blocks)
    if (b < 0 || b >= vision.layers)
      r.fail(vp + "fullatt_block_indexes", "names block " + std::to_string(b) + " of " + std::to_string(vision.layers));
  c.validate(source);
  return c;
}

std::string qwen2_vl_config_json(const ModelConfig& c) {
  const bool qwen25 = is_qwen25(c);
  const TextConfig& t = c.text;
  const VisionConfig& v = c.vision;
  nlohmann::ordered_json j;
  j["architectures"] = {qwen25 ? "Qwen2_5_VLForConditionalGeneration" : "Qwen2VLForConditionalGeneration"};
  j["model_type"] = qwen25 ? kQwen25VlType : kQwen2VlType;
  write_vlm_prompt_keys(c, j);
  j["clear_sweep_image_size"] = v.image_size;
  j["image_token_id"] = c.image_token_id;
  j["video_token_id"] = kVideoTokenId;
  j["vision_start_token_id"] = kVisionStartId;
  j["vision_end_token_id"] = kVisionEndId;
  j["tie_word_embeddings"] = t.tie_embeddings;
  nlohmann::ordered_json text{
      {"model_type", qwen25 ? "qwen2_5_vl_text" : "qwen2_vl_text"},
      {"vocab_size", t.vocab_size},
      {"hidden_size", t.hidden},
      {"intermediate_size", t.intermediate},
      {"num_hidden_layers", t.layers},
      {"num_attention_heads", t.heads},
      {"num_key_value_heads", t.kv_heads},
      {"max_position_embeddings", t.max_positions},
      {"rms_norm_eps", t.rms_norm_eps},
      {"hidden_act", "silu"},
      {"use_sliding_window", false},
      {"tie_word_embeddings", t.tie_embeddings},
      {"rope_parameters",
       {{"rope_type", "default"}, {"rope_theta", t.rope_theta}, {"mrope_section", t.mrope_section}}}};
  if (c.pad_token_id >= 0) text["pad_token_id"] = c.pad_token_id;
  j["text_config"] = text;
  nlohmann::ordered_json vision{{"model_type", qwen25 ? "qwen2_5_vl_vision" : "qwen2_vl_vision"},
                                {"depth", v.layers},
                                {"num_heads", v.heads},
                                {"in_channels", 3},
                                {"patch_size", v.patch_size},
                                {"spatial_merge_size", v.spatial_merge},
                                {"temporal_patch_size", v.temporal_patch},
                                {"hidden_act", v.hidden_act}};
  if (qwen25) {
    vision["hidden_size"] = v.hidden;
    vision["intermediate_size"] = v.intermediate;
    vision["window_size"] = v.window_size;
    vision["fullatt_block_indexes"] = v.full_attention_blocks;
    vision["out_hidden_size"] = t.hidden;
  } else {
    vision["embed_dim"] = v.hidden;
    vision["mlp_ratio"] = v.intermediate / v.hidden;
    vision["hidden_size"] = t.hidden;
  }
  vision["rope_parameters"] = {{"rope_type", "axial"}, {"rope_theta", v.rope_theta}};
  j["vision_config"] = vision;
  return j.dump(2) + "\n";
}

const std::vector<std::string>& qwen2_vl_preset_names() {
  static const std::vector<std::string> names{"tiny-qwen2-vl", "tiny-qwen2.5-vl", "qwen2-vl-2b",
                                              "qwen2-vl-7b",   "qwen2.5-vl-3b",   "qwen2.5-vl-7b"};
  return names;
}

ModelConfig qwen2_vl_preset(const std::string& name, int64_t vocab_size) {
  const auto& names = qwen2_vl_preset_names();
  CS_ASSERT(std::find(names.begin(), names.end(), name) != names.end(), "not a Qwen2-VL preset: " + name);
  ModelConfig c;
  c.family = "qwen2_vl";
  c.preset = name;
  c.model_type = name.find("2.5") != std::string::npos ? kQwen25VlType : kQwen2VlType;
  VisionConfig& v = c.vision;
  v.temporal_patch = 2, v.spatial_merge = 2, v.select_layer = -1;
  const bool qwen25 = is_qwen25(c);
  if (qwen25) {
    v.hidden_act = "silu", v.gated_mlp = true;
  }
  const bool tiny = name.rfind("tiny-", 0) == 0;
  if (tiny) {
    // 32 px images in 4 px patches: 8 x 8 patches, 16 decoder tokens (as LLaVA's tiny).
    v.image_size = 32, v.patch_size = 4, v.hidden = 64, v.layers = 2, v.heads = 4, v.intermediate = 256;
    if (qwen25) v.intermediate = 128, v.window_size = 16, v.full_attention_blocks = {1};  // windows of 2 x 2 tokens
    c.text = decoder_shape(1024, 128, 344, 4, 4, 2, 512, 10000.0, 1e-6, false);
    c.text.mrope_section = {4, 6, 6};  // head size 32: 16 frequencies
    c.image_token_id = 3;              // the from-scratch tokenizer's <image>, set again from it
    c.pad_token_id = -1;
  } else {
    // The Instruct models' shapes (config.json of Qwen/Qwen2-VL-2B-Instruct ...): the
    // encoder of 32 blocks of width 1280, decoders of Qwen2 / Qwen2.5.
    v.patch_size = 14, v.hidden = 1280, v.layers = 32, v.heads = 16;
    v.image_size = 448;  // 32 x 32 patches, 256 tokens: about a CLEAR portrait under smart_resize
    if (qwen25) {
      v.intermediate = 3420, v.window_size = 112, v.full_attention_blocks = {7, 15, 23, 31};
    } else {
      v.intermediate = 5120;  // mlp_ratio 4
    }
    if (name == "qwen2-vl-2b") c.text = decoder_shape(151936, 1536, 8960, 28, 12, 2, 32768, 1000000.0, 1e-6, true);
    if (name == "qwen2-vl-7b") c.text = decoder_shape(152064, 3584, 18944, 28, 28, 4, 32768, 1000000.0, 1e-6, false);
    if (name == "qwen2.5-vl-3b") c.text = decoder_shape(151936, 2048, 11008, 36, 16, 2, 128000, 1000000.0, 1e-6, true);
    if (name == "qwen2.5-vl-7b") c.text = decoder_shape(152064, 3584, 18944, 28, 28, 4, 128000, 1000000.0, 1e-6, false);
    c.text.mrope_section = {16, 24, 24};
    c.image_token_id = kImageTokenId;
    c.pad_token_id = -1;
  }
  c.text.qkv_bias = true;
  if (tiny && vocab_size > 0) c.text.vocab_size = vocab_size;
  return c;
}

}  // namespace clear_sweep
