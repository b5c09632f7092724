// clear-sweep's own keys in the config.json of a vision-language model that can be asked
// through its folder's chat template (Qwen2-VL, Idefics2): the preset it came from, its
// prompt (our presets' folders: plain; a folder from elsewhere: its chat template where
// it has one, chat_if_template), and the chat's system turn and date_string. Torch-free.
#pragma once

#include <nlohmann/json.hpp>

#include "model/config_reader.h"
#include "model/model_config.h"

namespace clear_sweep {

/// Reads clear_sweep_preset, clear_sweep_prompt, clear_sweep_system_prompt and
/// clear_sweep_date_string into `c`; Error naming clear_sweep_prompt for another prompt
/// than plain, chat and (where `llava15`: Idefics2, as MLLMU-Bench evaluates it) llava-1.5.
void read_vlm_prompt_keys(const ConfigReader& r, const nlohmann::json& j, ModelConfig& c, bool llava15 = false);

/// Writes them from `c` (the system turn and date_string where set).
void write_vlm_prompt_keys(const ModelConfig& c, nlohmann::ordered_json& j);

}  // namespace clear_sweep
