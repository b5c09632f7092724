// config.json of a text-only Llama-shaped model, read as transformers reads each family's
// (LlamaConfig, MistralConfig, Qwen2Config): keys at the top level, the family's
// defaults for keys left out, rotary scaling from rope_parameters (transformers 5) or
// rope_scaling and rope_theta (before), and an Error naming the key for any setting the
// shared decoder (llama_decoder.h) does not compute.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "model/model_config.h"

namespace clear_sweep {

/// A built-in shape ([model] preset = ...). One trained from scratch takes the size of
/// the vocabulary its tokenizer learned; a published model's shape keeps its own (random
/// weights: for plan, benchmarks and tests).
struct CausalLmPreset {
  std::string name;
  TextConfig text;
  bool from_scratch = false;
};

/// What differs between the families: their names and their config classes' defaults.
struct CausalLmFamilyTraits {
  std::string family;        ///< ModelConfig::family, "llama"
  std::string model_type;    ///< config.json's, "llama"
  std::string architecture;  ///< "LlamaForCausalLM"
  int64_t vocab_size = 32000;
  int64_t hidden = 4096;
  int64_t intermediate = 11008;
  int64_t layers = 32;
  int64_t heads = 32;
  std::optional<int64_t> kv_heads;  ///< absent: num_attention_heads
  int64_t max_positions = 2048;
  bool reads_biases = false;   ///< Llama: attention_bias and mlp_bias
  bool qkv_bias = false;       ///< Qwen2: q, k and v always have biases
  int64_t sliding_window = 0;  ///< Mistral: 4096 unless config.json says null
  bool reads_sliding_window = false;
  std::vector<CausalLmPreset> presets;
};

ModelConfig causal_lm_config_parse(const nlohmann::json& config, const std::string& source,
                                   const CausalLmFamilyTraits& traits);
/// config.json text as transformers would write it for the family.
std::string causal_lm_config_json(const ModelConfig& config, const CausalLmFamilyTraits& traits);

/// A preset of the family; Error (key model.preset) for a name it does not have.
ModelConfig causal_lm_preset(const std::string& name, int64_t vocab_size, const CausalLmFamilyTraits& traits);

struct ModelFamily;
/// The model family of `traits`: config.json read and written as above, the model a
/// CausalLmImpl, stored names as transformers' (model.*, lm_head.*), no image processing.
ModelFamily text_only_family(const CausalLmFamilyTraits& traits);

}  // namespace clear_sweep
