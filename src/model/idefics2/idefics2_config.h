// Idefics2's config.json (transformers' Idefics2Config: vision_config of its SigLIP
// encoder, perceiver_config of the resampler, text_config of a Mistral decoder) and the
// presets of its shape. Torch-free, so the fuzz target reads it alone.
//
// transformers' defaults fill keys left out, its rule included that a perceiver_config
// whose hidden_size differs from the decoder's takes the decoder's width and rms_norm_eps.
// A folder from elsewhere is asked through its chat template (Idefics2Processor's
// "User:<image>...<end_of_utterance>\nAssistant:"); our presets' folders plainly.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/model_config.h"

namespace clear_sweep {

inline constexpr const char* kIdefics2Family = "idefics2";

ModelConfig idefics2_config_parse(const nlohmann::json& config, const std::string& source);

/// config.json text as transformers 5 writes it, with our own keys (vlm_prompt_keys.h,
/// clear_sweep_image_splitting) beside.
std::string idefics2_config_json(const ModelConfig& config);

/// `tiny-idefics2` (trains from scratch on 2 CPU cores) and `idefics2-8b`
/// (HuggingFaceM4/idefics2-8b's shape with random weights: SigLIP so400m at 980 px with
/// 14 px patches, 64 latents, Mistral-7B).
const std::vector<std::string>& idefics2_preset_names();
ModelConfig idefics2_preset(const std::string& name, int64_t vocab_size);

}  // namespace clear_sweep
