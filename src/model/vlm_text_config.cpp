#include "model/vlm_text_config.h"

namespace clear_sweep {

TextConfig llama_text_config(const ConfigReader& r, const nlohmann::json& t, const std::string& tp,
                             const std::string& model_type, const TextConfigDefaults& defaults) {
  TextConfig text;
  text.model_type = model_type;
  const bool mistral = model_type == "mistral";
  r.require(t, tp, "hidden_act", std::string("silu"), "implements Llama's SiLU MLP only");
  r.require(t, tp, "attention_bias", false, "implements attention without biases only");
  r.require(t, tp, "mlp_bias", false, "implements an MLP without biases only");
  r.require(t, tp, "pretraining_tp", int64_t(1), "computes the linear layers unsplit (pretraining_tp 1)");
  if (t.contains("rope_scaling") && !t["rope_scaling"].is_null())
    r.fail(tp + "rope_scaling", "is " + t["rope_scaling"].dump() + ": rotary scaling is not supported");
  // LlamaConfig's (and MistralConfig's) defaults.
  text.vocab_size = r.get(t, tp, "vocab_size", int64_t(32000));
  text.hidden = r.get(t, tp, "hidden_size", int64_t(4096));
  text.layers = r.get(t, tp, "num_hidden_layers", int64_t(32));
  text.heads = r.get(t, tp, "num_attention_heads", int64_t(32));
  text.kv_heads = r.get(t, tp, "num_key_value_heads", mistral ? int64_t(8) : text.heads);
  text.intermediate = r.get(t, tp, "intermediate_size", int64_t(mistral ? 14336 : 11008));
  text.max_positions =
      r.get(t, tp, "max_position_embeddings", mistral ? defaults.mistral_max_positions : defaults.llama_max_positions);
  if (mistral) text.sliding_window = r.get_or_null(t, tp, "sliding_window", int64_t(4096), int64_t(0));
  text.rms_norm_eps = r.get(t, tp, "rms_norm_eps", defaults.rms_norm_eps);
  text.rope_theta = r.get(t, tp, "rope_theta", 10000.0);
  if (t.contains("rope_parameters") && t["rope_parameters"].is_object()) {  // transformers 5
    const auto& rope = t["rope_parameters"];
    const std::string rp = tp + "rope_parameters.";
    r.require(rope, rp, "rope_type", std::string("default"), "implements the default rotary embedding only");
    text.rope_theta = r.get(rope, rp, "rope_theta", text.rope_theta);
  }
  if (text.heads > 0 && text.hidden % text.heads == 0)
    r.require(t, tp, "head_dim", text.hidden / text.heads, "needs head_dim = hidden_size / num_attention_heads");
  return text;
}

nlohmann::ordered_json llama_text_config_json(const TextConfig& text) {
  nlohmann::ordered_json j = {{"model_type", text.model_type},
                              {"vocab_size", text.vocab_size},
                              {"hidden_size", text.hidden},
                              {"num_hidden_layers", text.layers},
                              {"num_attention_heads", text.heads},
                              {"num_key_value_heads", text.kv_heads},
                              {"intermediate_size", text.intermediate},
                              {"max_position_embeddings", text.max_positions},
                              {"rope_theta", text.rope_theta},
                              {"rms_norm_eps", text.rms_norm_eps},
                              {"tie_word_embeddings", text.tie_embeddings},
                              {"hidden_act", "silu"}};
  if (text.model_type == "mistral")
    j["sliding_window"] =
        text.sliding_window > 0 ? nlohmann::ordered_json(text.sliding_window) : nlohmann::ordered_json();
  return j;
}

}  // namespace clear_sweep
