// LLaVA-1.5's config.json (transformers' LlavaConfig: vision_config of a CLIP vision
// model, text_config of a Llama) and the presets of this shape. Torch-free, so the
// fuzz target reads it alone (fuzz/fuzz_model_config.cpp).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/model_config.h"

namespace clear_sweep {

/// LLaVA-NeXT (LlavaNextForConditionalGeneration) reads and writes through the same
/// functions: its config.json is LLaVA's with image_grid_pinpoints, and a Mistral decoder
/// may stand in for Llama.
inline constexpr const char* kLlavaNextFamily = "llava_next";

/// Parses config.json as transformers 4.x and 5.x write it (defaults left out or not,
/// rope_theta or rope_parameters); Error naming the file and key on anything missing or
/// wrong, and on any setting the model cannot represent (biases, activations, rope
/// scaling, multi-layer vision features ...).
ModelConfig llava_config_parse(const nlohmann::json& config, const std::string& source);

/// config.json text with Hugging Face's LlavaConfig keys (vision_config, text_config ...).
std::string llava_config_json(const ModelConfig& config);

/// `tiny` (trains from scratch on 2 CPU cores in minutes), `small`, and `llava-1.5-7b`
/// (CLIP ViT-L/14-336 + Llama-2-7B, the real shape).
const std::vector<std::string>& llava_preset_names();
/// A preset's config. The vocabulary comes from the tokenizer for trained-from-scratch
/// presets; vocab_size < 0 keeps the preset's own.
ModelConfig llava_preset(const std::string& name, int64_t vocab_size);

/// LLaVA-NeXT's: `tiny-llava-next` (trains from scratch on 2 CPU cores) and the published
/// shapes with random weights, `llava-v1.6-vicuna-7b` and `llava-v1.6-mistral-7b`.
const std::vector<std::string>& llava_next_preset_names();
ModelConfig llava_next_preset(const std::string& name, int64_t vocab_size);

}  // namespace clear_sweep
