#include "model/model_family.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "common/error.h"
#include "common/suggest.h"
#include "model/config_reader.h"

namespace clear_sweep {
namespace {

/// By name, in registration order's sort (std::map): the order messages list them in.
std::map<std::string, ModelFamily>& families() {
  static std::map<std::string, ModelFamily> registry;
  return registry;
}

std::string known_families() {
  std::vector<std::string> lines;
  for (const auto& [name, f] : families())
    lines.push_back(name + " (model_type " + join(f.model_types) + "; " + join(f.architectures) + ")");
  return "model families: " + join(lines, "; ");
}

}  // namespace

void register_model_family(ModelFamily family) {
  CS_ASSERT(!family.name.empty() && family.build && family.parse_config, "a model family without its parts");
  for (const auto& [name, other] : families()) {
    CS_ASSERT(name != family.name, "two model families named " + name);
    for (const auto& type : family.model_types)
      CS_ASSERT(std::find(other.model_types.begin(), other.model_types.end(), type) == other.model_types.end(),
                "model_type " + type + " is claimed by " + name + " and " + family.name);
    for (const auto& preset : family.presets)
      CS_ASSERT(std::find(other.presets.begin(), other.presets.end(), preset) == other.presets.end(),
                "preset " + preset + " is claimed by " + name + " and " + family.name);
  }
  const std::string name = family.name;
  families().emplace(name, std::move(family));
}

std::vector<std::string> model_family_names() {
  std::vector<std::string> names;
  for (const auto& [name, f] : families()) names.push_back(name);
  return names;
}

const ModelFamily& model_family(const std::string& name) {
  const auto it = families().find(name);
  CS_ASSERT(it != families().end(), "no model family named '" + name + "' is registered");
  return it->second;
}

const ModelFamily& model_family_of(const nlohmann::json& config, const std::string& source) {
  const ConfigReader r(config, source);
  const std::string type = r.get(config, "", "model_type", std::string());
  if (!type.empty()) {
    for (const auto& [name, f] : families())
      if (std::find(f.model_types.begin(), f.model_types.end(), type) != f.model_types.end()) return f;
    r.fail("model_type", "is '" + type + "': no model family reads it; " + known_families());
  }
  // Only architectures: transformers' own folders always name model_type too.
  const auto it = config.find("architectures");
  if (it != config.end() && it->is_array()) {
    for (const auto& a : *it) {
      if (!a.is_string()) continue;
      for (const auto& [name, f] : families())
        if (std::find(f.architectures.begin(), f.architectures.end(), a.get<std::string>()) != f.architectures.end())
          return f;
    }
    r.fail("architectures", "is " + it->dump() + ": no model family reads it; " + known_families());
  }
  r.fail("model_type", "is missing (and so are architectures): which model is this? " + known_families());
}

ModelConfig model_config_parse(const std::string& text, const std::string& source) {
  const nlohmann::json config = config_json_parse(text, source);
  return model_family_of(config, source).parse_config(config, source);
}

std::string model_config_json(const ModelConfig& config) { return model_family(config.family).config_json(config); }

std::vector<std::string> model_preset_names() {
  std::vector<std::string> names;
  for (const auto& [name, f] : families()) names.insert(names.end(), f.presets.begin(), f.presets.end());
  return names;
}

ModelConfig model_preset(const std::string& preset, int64_t vocab_size) {
  for (const auto& [name, f] : families())
    if (std::find(f.presets.begin(), f.presets.end(), preset) != f.presets.end()) return f.preset(preset, vocab_size);
  throw Error(SourceLocation{}, "model.preset", "unknown preset '" + preset + "'",
              "presets: " + join(model_preset_names()));
}

bool preset_without_processor(const std::string& dir, const ModelConfig& config,
                              const std::vector<std::string>& presets) {
  namespace fs = std::filesystem;
  const bool ours = std::find(presets.begin(), presets.end(), config.preset) != presets.end();
  const bool has_file = !dir.empty() && (fs::exists(fs::path(dir) / kProcessorConfigFile) ||
                                         fs::exists(fs::path(dir) / kPreprocessorConfigFile));
  return ours && !has_file;
}

}  // namespace clear_sweep
