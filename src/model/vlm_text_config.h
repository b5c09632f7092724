// The decoder section (text_config) of a vision-language model's config.json where the
// decoder is Llama- or Mistral-shaped (LLaVA-1.5, LLaVA-NeXT, Idefics2): read with
// LlamaConfig's or MistralConfig's defaults, or the VLM's own where its config class
// overrides them, and an Error naming the key for what the shared decoder does not
// compute. Torch-free (the fuzz target reads configs alone).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "model/config_reader.h"
#include "model/model_config.h"

namespace clear_sweep {

/// Defaults where text_config leaves a key out.
struct TextConfigDefaults {
  double rms_norm_eps = 1e-6;
  int64_t llama_max_positions = 2048;      ///< LlamaConfig's
  int64_t mistral_max_positions = 131072;  ///< MistralConfig's
};

/// text_config `t` (its keys named `tp`, "text_config."), whose model_type is `model_type`
/// ("llama" or "mistral", already checked by the caller).
TextConfig llama_text_config(const ConfigReader& r, const nlohmann::json& t, const std::string& tp,
                             const std::string& model_type, const TextConfigDefaults& defaults = {});

/// The text_config object written for `text`, as transformers writes Llama's or Mistral's.
nlohmann::ordered_json llama_text_config_json(const TextConfig& text);

}  // namespace clear_sweep
