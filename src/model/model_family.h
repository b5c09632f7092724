// Model families as plug-ins. A family is one folder under src/model/ (model/llava/ ...)
// that knows one architecture as transformers writes it: how its config.json reads (with
// transformers' defaults), how its modules are built, every name its tensors have been
// stored under, how its images are processed, and the presets of its shape. It
// registers itself beside its code (model/llava/llava_family.cpp); a model folder is
// read by the family its config.json's model_type (or architectures) names. Everything
// above model/ sees the one interface of model/vlm.h.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/image_processor.h"
#include "model/model_config.h"

namespace clear_sweep {

class VlmImpl;

struct ModelFamily {
  std::string name;                        ///< "llava": ModelConfig::family
  std::vector<std::string> model_types;    ///< config.json's model_type values it reads
  std::vector<std::string> architectures;  ///< config.json's architectures it reads
  std::vector<std::string> presets;        ///< built-in shapes ([model] preset = ...)

  /// config.json (parsed) -> ModelConfig, family set; Error naming `source` and the key.
  std::function<ModelConfig(const nlohmann::json& config, const std::string& source)> parse_config;
  /// ModelConfig -> config.json text, as transformers writes it for this family.
  std::function<std::string(const ModelConfig&)> config_json;
  /// A preset's config; vocab_size < 0 keeps the preset's own vocabulary.
  std::function<ModelConfig(const std::string& preset, int64_t vocab_size)> preset;
  /// The model, built as the config says (weights as the current parameter placement).
  std::function<std::shared_ptr<VlmImpl>(const ModelConfig&)> build;
  /// Our parameter name for a stored tensor name of any of transformers' layouts.
  std::function<std::string(const std::string& stored_name)> canonical_weight_name;
  /// The image processing a model folder asks for (its preprocessor settings), or the
  /// family's own for folders that have none (our presets'), and for a preset being
  /// trained from scratch, which has no folder yet (dir "").
  std::function<ImageProcessor(const std::string& dir, const ModelConfig&)> image_processor;
  /// Whether its images go through a folder's chat template (Qwen2-VL's processor does;
  /// LLaVA-1.5 keeps its own template), so `prompt = "chat"` may ask it about an image.
  bool chat_with_images = false;
};

/// Adds a family. A second family of the same name, model_type or preset is a bug.
void register_model_family(ModelFamily family);

/// Registers at static initialisation: one in each family's folder.
struct ModelFamilyRegistration {
  explicit ModelFamilyRegistration(ModelFamily family) { register_model_family(std::move(family)); }
};

/// The registered families, by name.
std::vector<std::string> model_family_names();
/// The family of that name (ModelConfig::family); InternalError when none is registered.
const ModelFamily& model_family(const std::string& name);
/// The family that reads a config.json: by model_type, else by architectures. Error
/// naming the key, its value and the families that exist.
const ModelFamily& model_family_of(const nlohmann::json& config, const std::string& source);

/// config.json's text -> ModelConfig, by the family it names. Error naming the file and
/// key on anything its family cannot read.
ModelConfig model_config_parse(const std::string& text, const std::string& source);
/// The config.json text of `config`'s family.
std::string model_config_json(const ModelConfig& config);

/// Whether a family's image processor is its own preset's rather than the folder's: the
/// config is one of `presets` and the folder (dir "" for a preset being trained from
/// scratch) holds no processor settings (kProcessorConfigFile, kPreprocessorConfigFile).
bool preset_without_processor(const std::string& dir, const ModelConfig& config,
                              const std::vector<std::string>& presets);

/// The presets of every family; sweep/ keeps the same list (model_presets()).
std::vector<std::string> model_preset_names();
/// A preset's config. The vocabulary comes from the tokenizer for trained-from-scratch
/// presets; vocab_size < 0 keeps the preset's own. Error (key model.preset) for an
/// unknown name.
ModelConfig model_preset(const std::string& name, int64_t vocab_size = -1);

}  // namespace clear_sweep
