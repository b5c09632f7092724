#include "model/vlm_prompt_keys.h"

#include <string>

namespace clear_sweep {

void read_vlm_prompt_keys(const ConfigReader& r, const nlohmann::json& j, ModelConfig& c, bool llava15) {
  c.preset = r.get(j, "", "clear_sweep_preset", std::string("custom"));
  // Our own folders name their prompt; one from elsewhere is asked through its chat template.
  c.prompt_template =
      r.get(j, "", "clear_sweep_prompt", std::string(j.contains("clear_sweep_preset") ? kPlainPrompt : kChatPrompt));
  c.chat_if_template = !j.contains("clear_sweep_prompt") && !j.contains("clear_sweep_preset");
  const bool known = c.prompt_template == kPlainPrompt || c.prompt_template == kChatPrompt ||
                     (llava15 && c.prompt_template == kLlava15Prompt);
  if (!known)
    r.fail("clear_sweep_prompt", "unknown prompt template '" + c.prompt_template + "' (plain or chat" +
                                     (llava15 ? std::string(" or llava-1.5)") : std::string(")")));
  c.system_prompt = r.get(j, "", "clear_sweep_system_prompt", std::string());
  c.date_string = r.get(j, "", "clear_sweep_date_string", std::string());
}

void write_vlm_prompt_keys(const ModelConfig& c, nlohmann::ordered_json& j) {
  j["clear_sweep_preset"] = c.preset;
  j["clear_sweep_prompt"] = c.prompt_template;
  if (!c.system_prompt.empty()) j["clear_sweep_system_prompt"] = c.system_prompt;
  if (!c.date_string.empty()) j["clear_sweep_date_string"] = c.date_string;
}

}  // namespace clear_sweep
