// Qwen2-VL's and Qwen2.5-VL's config.json (transformers' Qwen2VLConfig and
// Qwen2_5_VLConfig) and the presets of their shapes. Torch-free.
//
// The hub's folders keep the decoder's keys at the top level (and "rope_scaling": {"type":
// "mrope", "mrope_section": ...}); transformers 4.52 and later write them under
// text_config (transformers 5 with "rope_parameters"). Both read, with transformers'
// defaults for keys left out; anything the model does not compute is refused naming
// the key (sliding-window layers, another rotary scaling, a merger that does not reach
// the decoder's width ...). A folder from elsewhere is prompted through its chat template
// (the processor's, as Qwen2VLProcessor.apply_chat_template), or plainly where it has none.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/model_config.h"

namespace clear_sweep {

inline constexpr const char* kQwen2VlType = "qwen2_vl";
inline constexpr const char* kQwen25VlType = "qwen2_5_vl";

ModelConfig qwen2_vl_config_parse(const nlohmann::json& config, const std::string& source);

/// config.json text as transformers 5 writes it (text_config, vision_config nested), with
/// our own keys (clear_sweep_preset, clear_sweep_image_size, the prompt's) beside.
std::string qwen2_vl_config_json(const ModelConfig& config);

/// `tiny-qwen2-vl` and `tiny-qwen2.5-vl` (train from scratch on 2 CPU cores), and the
/// published shapes with random weights: `qwen2-vl-2b`, `qwen2-vl-7b`, `qwen2.5-vl-3b`,
/// `qwen2.5-vl-7b` (Instruct models' shapes).
const std::vector<std::string>& qwen2_vl_preset_names();
ModelConfig qwen2_vl_preset(const std::string& name, int64_t vocab_size);

}  // namespace clear_sweep
