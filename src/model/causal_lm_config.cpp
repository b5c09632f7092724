#include "model/causal_lm_config.h"

#include "common/error.h"
#include "model/causal_lm.h"
#include "model/config_reader.h"
#include "model/model_family.h"

namespace clear_sweep {
namespace {

/// rope_parameters (transformers 5), else rope_scaling with rope_theta beside it.
void read_rope(const ConfigReader& r, const nlohmann::json& j, TextConfig& t) {
  t.rope_theta = r.get(j, "", "rope_theta", 10000.0);
  const char* key = j.contains("rope_parameters") && j["rope_parameters"].is_object() ? "rope_parameters"
                    : j.contains("rope_scaling") && j["rope_scaling"].is_object()     ? "rope_scaling"
                                                                                      : nullptr;
  if (!key) return;
  const auto& rope = j[key];
  const std::string p = std::string(key) + ".";
  t.rope_theta = r.get(rope, p, "rope_theta", t.rope_theta);
  RopeScaling& s = t.rope_scaling;
  s.type = r.get(rope, p, "rope_type", r.get(rope, p, "type", std::string("default")));
  if (s.type != "default" && s.type != "linear" && s.type != "llama3")
    r.fail(p + "rope_type", "is '" + s.type + "': clear-sweep computes default, linear and llama3 rotary embeddings");
  r.require(rope, p, "partial_rotary_factor", 1.0, "rotates the whole head (partial_rotary_factor 1)");
  if (s.type == "default") return;
  s.factor = r.get(rope, p, "factor", 0.0);
  if (!(s.factor > 0)) r.fail(p + "factor", "must be a positive number for " + s.type + " scaling");
  if (s.type == "llama3") {
    s.low_freq_factor = r.get(rope, p, "low_freq_factor", 0.0);
    s.high_freq_factor = r.get(rope, p, "high_freq_factor", 0.0);
    s.original_max_positions = r.get(rope, p, "original_max_position_embeddings", t.max_positions);
    if (!(s.low_freq_factor > 0) || !(s.high_freq_factor > s.low_freq_factor))
      r.fail(p + "high_freq_factor", "llama3 scaling needs 0 < low_freq_factor < high_freq_factor");
  }
}

}  // namespace

ModelConfig causal_lm_config_parse(const nlohmann::json& j, const std::string& source, const CausalLmFamilyTraits& f) {
  const ConfigReader r(j, source);
  ModelConfig c;
  c.family = f.family;
  c.has_vision = false;
  c.preset = r.get(j, "", "clear_sweep_preset", std::string("custom"));
  r.require(j, "", "hidden_act", std::string("silu"), "implements the SiLU (SwiGLU) MLP only");
  r.require(j, "", "pretraining_tp", int64_t(1), "computes the linear layers unsplit (pretraining_tp 1)");
  TextConfig& t = c.text;
  t.vocab_size = r.get(j, "", "vocab_size", f.vocab_size);
  t.hidden = r.get(j, "", "hidden_size", f.hidden);
  t.intermediate = r.get(j, "", "intermediate_size", f.intermediate);
  t.layers = r.get(j, "", "num_hidden_layers", f.layers);
  t.heads = r.get(j, "", "num_attention_heads", f.heads);
  t.kv_heads = r.get(j, "", "num_key_value_heads", f.kv_heads.value_or(t.heads));
  t.max_positions = r.get(j, "", "max_position_embeddings", f.max_positions);
  t.rms_norm_eps = r.get(j, "", "rms_norm_eps", 1e-6);
  t.tie_embeddings = r.get(j, "", "tie_word_embeddings", false);
  t.explicit_head_dim = r.get(j, "", "head_dim", int64_t(0));
  if (t.explicit_head_dim > 0 && t.heads > 0 && t.hidden % t.heads == 0 && t.explicit_head_dim == t.hidden / t.heads)
    t.explicit_head_dim = 0;  // the usual one, said out loud
  if (f.reads_biases) {
    t.qkv_bias = t.o_bias = r.get(j, "", "attention_bias", false);
    t.mlp_bias = r.get(j, "", "mlp_bias", false);
  }
  if (f.qkv_bias) t.qkv_bias = true;
  if (f.reads_sliding_window) t.sliding_window = r.get_or_null(j, "", "sliding_window", f.sliding_window, int64_t(0));
  if (f.family == "qwen2")
    r.require(j, "", "use_sliding_window", false, "computes full attention in every layer (use_sliding_window false)");
  read_rope(r, j, t);
  c.pad_token_id = r.get(j, "", "pad_token_id", int32_t(-1));
  c.image_token_id = -1;
  // How our own folders prompt (a finetune of a chat model keeps its template).
  c.prompt_template = r.get(j, "", "clear_sweep_prompt", std::string(kPlainPrompt));
  if (c.prompt_template != kPlainPrompt && c.prompt_template != kChatPrompt)
    r.fail("clear_sweep_prompt", "unknown prompt template '" + c.prompt_template + "' (plain or chat)");
  c.system_prompt = r.get(j, "", "clear_sweep_system_prompt", std::string());
  c.date_string = r.get(j, "", "clear_sweep_date_string", std::string());
  c.validate(source);
  return c;
}

std::string causal_lm_config_json(const ModelConfig& c, const CausalLmFamilyTraits& f) {
  const TextConfig& t = c.text;
  nlohmann::ordered_json j;
  j["architectures"] = {f.architecture};
  j["model_type"] = f.model_type;
  j["clear_sweep_preset"] = c.preset;
  if (c.prompt_template != kPlainPrompt) {
    j["clear_sweep_prompt"] = c.prompt_template;
    if (!c.system_prompt.empty()) j["clear_sweep_system_prompt"] = c.system_prompt;
    if (!c.date_string.empty()) j["clear_sweep_date_string"] = c.date_string;
  }
  j["vocab_size"] = t.vocab_size;
  j["hidden_size"] = t.hidden;
  j["intermediate_size"] = t.intermediate;
  j["num_hidden_layers"] = t.layers;
  j["num_attention_heads"] = t.heads;
  j["num_key_value_heads"] = t.kv_heads;
  j["head_dim"] = t.head_dim();
  j["max_position_embeddings"] = t.max_positions;
  j["rms_norm_eps"] = t.rms_norm_eps;
  j["rope_theta"] = t.rope_theta;
  j["tie_word_embeddings"] = t.tie_embeddings;
  j["hidden_act"] = "silu";
  if (f.reads_biases) {
    j["attention_bias"] = t.qkv_bias;
    j["mlp_bias"] = t.mlp_bias;
  }
  if (f.reads_sliding_window)
    j["sliding_window"] = t.sliding_window > 0 ? nlohmann::ordered_json(t.sliding_window) : nullptr;
  if (t.rope_scaling.type != "default") {
    nlohmann::ordered_json s{{"rope_type", t.rope_scaling.type}, {"factor", t.rope_scaling.factor}};
    if (t.rope_scaling.type == "llama3") {
      s["low_freq_factor"] = t.rope_scaling.low_freq_factor;
      s["high_freq_factor"] = t.rope_scaling.high_freq_factor;
      s["original_max_position_embeddings"] = t.rope_scaling.original_max_positions;
    }
    j["rope_scaling"] = s;
  }
  if (c.pad_token_id >= 0) j["pad_token_id"] = c.pad_token_id;
  return j.dump(2) + "\n";
}

ModelConfig causal_lm_preset(const std::string& name, int64_t vocab_size, const CausalLmFamilyTraits& traits) {
  for (const auto& p : traits.presets) {
    if (p.name != name) continue;
    ModelConfig c;
    c.family = traits.family;
    c.has_vision = false;
    c.preset = name;
    c.text = p.text;
    c.image_token_id = -1;
    c.pad_token_id = -1;
    if (p.from_scratch && vocab_size > 0) c.text.vocab_size = vocab_size;
    return c;
  }
  throw Error(SourceLocation{}, "model.preset", "the " + traits.family + " family has no preset '" + name + "'");
}

ModelFamily text_only_family(const CausalLmFamilyTraits& traits) {
  std::vector<std::string> presets;
  for (const auto& p : traits.presets) presets.push_back(p.name);
  return ModelFamily{
      traits.family,
      {traits.model_type},
      {traits.architecture},
      presets,
      [traits](const nlohmann::json& j, const std::string& source) {
        return causal_lm_config_parse(j, source, traits);
      },
      [traits](const ModelConfig& c) { return causal_lm_config_json(c, traits); },
      [traits](const std::string& name, int64_t vocab_size) { return causal_lm_preset(name, vocab_size, traits); },
      [](const ModelConfig& config) -> std::shared_ptr<VlmImpl> { return std::make_shared<CausalLmImpl>(config); },
      [](const std::string& stored) { return stored; },  // transformers' names are ours
      [traits](const std::string& dir, const ModelConfig&) -> ImageProcessor {
        throw Error(SourceLocation{dir}, "images",
                    "the " + traits.family + " model is text-only: it processes no image",
                    "run it on the text modality (modality = [\"text\"])");
      },
  };
}

}  // namespace clear_sweep
