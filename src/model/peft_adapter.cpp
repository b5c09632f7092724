#include "model/peft_adapter.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "common/file_write.h"
#include "model/checkpoint.h"
#include "model/model_family.h"
#include "model/safetensors.h"

namespace clear_sweep {
namespace fs = std::filesystem;

namespace {

constexpr const char* kPrefix = "base_model.model.";

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

std::string peft_module_name(const std::string& ours) {
  if (starts_with(ours, "language_model.model.")) return "model.language_model." + ours.substr(21);
  if (starts_with(ours, "language_model.lm_head")) return ours.substr(15);
  if (starts_with(ours, "vision_tower.vision_model.")) return "model.vision_tower." + ours.substr(26);
  if (starts_with(ours, "multi_modal_projector.")) return "model." + ours;
  return ours;
}

void save_peft_adapter(Vlm& model, const std::string& dir, const std::string& base_model_name) {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  nlohmann::ordered_json targets = nlohmann::json::array();
  LoraSpec spec;
  bool first = true;
  for (auto& [name, layer] : model->linear_layers()) {
    if (!layer->has_adapter()) continue;
    const int64_t rank = layer->lora_a().size(0);
    const LoraSpec mine{rank, layer->scale() * double(rank), layer->dropout()};
    if (first) spec = mine;
    if (mine.rank != spec.rank || std::abs(mine.alpha - spec.alpha) > 1e-9 || mine.dropout != spec.dropout)
      throw Error(SourceLocation{dir}, "adapters", "layers differ in rank, alpha or dropout (" + name + ")",
                  "PEFT's adapter_config.json holds one r, lora_alpha and lora_dropout");
    first = false;
    const std::string module = peft_module_name(name);
    targets.push_back(module);
    tensors.emplace_back(kPrefix + module + ".lora_A.weight", layer->lora_a().detach().to(torch::kCPU, torch::kFloat));
    tensors.emplace_back(kPrefix + module + ".lora_B.weight", layer->lora_b().detach().to(torch::kCPU, torch::kFloat));
  }
  if (first) throw Error(SourceLocation{dir}, "adapters", "the model has no LoRA adapter to save");
  fs::create_directories(dir);
  write_safetensors((fs::path(dir) / "adapter_model.safetensors").string(), tensors, {{"format", "pt"}});
  nlohmann::ordered_json config;
  config["peft_type"] = "LORA";
  config["base_model_name_or_path"] = base_model_name;
  config["r"] = spec.rank;
  config["lora_alpha"] = spec.alpha;
  config["lora_dropout"] = spec.dropout;
  config["target_modules"] = targets;
  config["bias"] = "none";
  config["fan_in_fan_out"] = false;
  config["use_rslora"] = false;
  config["use_dora"] = false;
  config["modules_to_save"] = nullptr;
  config["inference_mode"] = true;
  const std::string config_path = (fs::path(dir) / "adapter_config.json").string();
  write_file(config_path, config.dump(2) + "\n");
}

LoraSpec load_peft_adapter(Vlm& model, const std::string& dir) {
  const std::string config_path = (fs::path(dir) / "adapter_config.json").string();
  std::ifstream in(config_path);
  if (!in) throw Error(SourceLocation{config_path}, "adapter", "cannot open the file", "a PEFT adapter folder");
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {  // parse_error, or a number that overflows
    throw Error(SourceLocation{config_path}, "json", std::string("not JSON: ") + e.what());
  }
  auto fail = [&](const std::string& key, const std::string& message) {
    throw Error(SourceLocation{config_path}, key, message);
  };
  auto is_set = [&](const char* key) {
    if (!j.contains(key) || j[key].is_null() || j[key] == false) return false;
    if ((j[key].is_object() || j[key].is_array()) && j[key].empty()) return false;
    return true;
  };
  if (j.value("peft_type", std::string()) != "LORA") fail("peft_type", "is not LORA");
  for (const char* key : {"use_dora", "use_rslora", "fan_in_fan_out", "rank_pattern", "alpha_pattern",
                          "modules_to_save", "layers_to_transform"})
    if (is_set(key)) fail(key, "is set: clear-sweep takes plain LoRA (one r and lora_alpha for every layer)");
  if (j.value("bias", std::string("none")) != "none") fail("bias", "is not \"none\": trained biases are not supported");
  LoraSpec spec;
  try {
    spec.rank = j.at("r").get<int64_t>();
    spec.alpha = j.value("lora_alpha", 8.0);
    spec.dropout = j.value("lora_dropout", 0.0);
  } catch (const nlohmann::json::exception& e) {
    fail("r", std::string("missing or not a number: ") + e.what());
  }
  if (spec.rank <= 0) fail("r", "must be positive");

  const std::string weights_path = (fs::path(dir) / "adapter_model.safetensors").string();
  if (!fs::exists(weights_path))
    throw Error(SourceLocation{weights_path}, "adapter", "missing", "PEFT saves adapter_model.safetensors");
  const SafetensorsFile file(weights_path);
  const ModelFamily& family = model_family(model->config().family);
  std::map<std::string, std::pair<const SafetensorsEntry*, const SafetensorsEntry*>> layers;  // ours -> (A, B)
  for (const auto& e : file.entries()) {
    std::string name = e.name;
    if (starts_with(name, kPrefix)) name = name.substr(std::string(kPrefix).size());
    const bool a = name.find(".lora_A.") != std::string::npos, b = name.find(".lora_B.") != std::string::npos;
    if (!a && !b) throw Error(SourceLocation{weights_path}, e.name, "not a LoRA A or B tensor");
    name = name.substr(0, name.find(a ? ".lora_A." : ".lora_B."));
    auto& slot = layers[family.canonical_weight_name(name + ".weight")];
    (a ? slot.first : slot.second) = &e;
  }
  std::map<std::string, LoraLinear> ours;
  for (auto& [name, layer] : model->linear_layers()) ours.emplace(name + ".weight", layer);
  for (const auto& [name, pair] : layers) {
    const std::string layer_name = name.substr(0, name.size() - 7);  // less ".weight"
    if (!ours.count(name)) throw Error(SourceLocation{weights_path}, layer_name, "the model has no such linear layer");
    if (!pair.first || !pair.second)
      throw Error(SourceLocation{weights_path}, layer_name, "has only one of lora_A, lora_B");
  }
  model->attach_adapters(spec, [&](const std::string& name) { return layers.count(name + ".weight") > 0; });
  torch::NoGradGuard no_grad;
  for (const auto& [name, pair] : layers) {
    LoraLinear& layer = ours.at(name);
    const torch::Tensor a = file.read(*pair.first), b = file.read(*pair.second);
    if (a.sizes() != layer->lora_a().sizes() || b.sizes() != layer->lora_b().sizes()) {
      std::ostringstream s;
      s << "lora_A " << a.sizes() << " and lora_B " << b.sizes() << " do not fit (expected " << layer->lora_a().sizes()
        << " and " << layer->lora_b().sizes() << ")";
      throw Error(SourceLocation{weights_path}, name.substr(0, name.size() - 7), s.str());
    }
    layer->lora_a().copy_(a);
    layer->lora_b().copy_(b);
  }
  return spec;
}

}  // namespace clear_sweep
