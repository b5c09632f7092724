#include "model/checkpoint.h"

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/error.h"
#include "common/file_read.h"
#include "common/file_write.h"
#include "data/chat_template.h"
#include "model/model_family.h"
#include "model/parameter_factory.h"
#include "model/safetensors.h"

namespace clear_sweep {
namespace fs = std::filesystem;

namespace {

/// Tensors that checkpoints of some transformers versions carry and the model
/// recomputes instead: not "unexpected".
bool ignorable(const std::string& name) {
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with("position_ids") || ends_with("rotary_emb.inv_freq");
}

std::string listed(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < 8; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > 8) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

/// The checkpoint's files: one, or the shards an index's weight_map names.
std::vector<std::unique_ptr<SafetensorsFile>> open_weight_files(const std::string& dir) {
  const fs::path folder(dir);
  std::vector<std::unique_ptr<SafetensorsFile>> files;
  if (fs::exists(folder / "model.safetensors")) {
    files.push_back(std::make_unique<SafetensorsFile>((folder / "model.safetensors").string()));
  } else if (fs::exists(folder / "model.safetensors.index.json")) {
    const std::string index_path = (folder / "model.safetensors.index.json").string();
    std::set<std::string> shards;
    try {
      // Named: a range-for over parse(...).at(...).items() iterates a destroyed temporary
      // (C++20 extends the life of the last temporary only), and read no shard.
      const nlohmann::json index = nlohmann::json::parse(read_text_file(index_path));
      for (const auto& [name, shard] : index.at("weight_map").items()) shards.insert(shard.get<std::string>());
    } catch (const nlohmann::json::exception& e) {
      throw Error(SourceLocation{index_path}, "weight_map", std::string("not a safetensors index: ") + e.what());
    }
    for (const auto& shard : shards) files.push_back(std::make_unique<SafetensorsFile>((folder / shard).string()));
  } else {
    throw Error(SourceLocation{dir}, "weights", "no model.safetensors or model.safetensors.index.json in the folder");
  }
  return files;
}

/// The dtype holding most floating-point bytes among the files' tensors.
torch::ScalarType dtype_of(const std::vector<std::unique_ptr<SafetensorsFile>>& files) {
  std::map<std::string, uint64_t> bytes;  // by safetensors dtype name
  for (const auto& f : files)
    for (const auto& e : f->entries())
      if (e.dtype == "F32" || e.dtype == "BF16" || e.dtype == "F16" || e.dtype == "F64")
        bytes[e.dtype] += e.end - e.begin;
  std::string most = "F32";
  for (const auto& [dtype, n] : bytes)
    if (n > bytes[most]) most = dtype;
  if (most == "BF16") return torch::kBFloat16;
  if (most == "F16") return torch::kHalf;
  return torch::kFloat;  // F64 checkpoints compute in float32
}

/// load_weights over files already open: load_model reads their headers once.
void load_weights_from(Vlm& model, const std::vector<std::unique_ptr<SafetensorsFile>>& files, const std::string& dir) {
  const ModelFamily& family = model_family(model->config().family);
  std::map<std::string, std::pair<const SafetensorsFile*, const SafetensorsEntry*>> stored;  // by our name
  for (const auto& f : files)
    for (const auto& e : f->entries()) {
      const std::string name = family.canonical_weight_name(e.name);
      if (!stored.emplace(name, std::make_pair(f.get(), &e)).second)
        throw Error(
            SourceLocation{dir}, "weights", "two stored tensors are both " + name + " (one is " + e.name + ")",
            "a checkpoint holds one naming scheme of transformers' " + family.architectures.front() + " layouts");
    }
  // A tied head reads the embedding; some writers store the head anyway.
  const bool tied = model->config().text.tie_embeddings;

  std::vector<std::string> missing, unexpected, misshapen;
  std::set<std::string> wanted;
  auto params = model->named_parameters();
  for (const auto& p : params) {
    wanted.insert(p.key());
    const auto it = stored.find(p.key());
    if (it == stored.end()) {
      missing.push_back(p.key());
    } else if (it->second.second->shape != p.value().sizes().vec()) {
      std::ostringstream s;
      s << p.key() << " (file " << c10::IntArrayRef(it->second.second->shape) << ", model " << p.value().sizes() << ")";
      misshapen.push_back(s.str());
    }
  }
  for (const auto& [name, where] : stored)
    if (!wanted.count(name) && !ignorable(name) &&
        !(tied && (name == "language_model.lm_head.weight" || name == "lm_head.weight")))
      unexpected.push_back(name);
  if (!missing.empty() || !unexpected.empty() || !misshapen.empty()) {
    std::string message = "the weights do not fit the model:";
    if (!missing.empty()) message += " missing " + listed(missing) + ";";
    if (!unexpected.empty()) message += " unexpected " + listed(unexpected) + ";";
    if (!misshapen.empty()) message += " wrong shape " + listed(misshapen) + ";";
    message.pop_back();
    throw Error(SourceLocation{dir}, "weights", message,
                "tensor names follow Hugging Face's " + family.architectures.front() + "; check config.json's shapes");
  }
  torch::NoGradGuard no_grad;
  for (auto& p : params) {
    const auto& [file, entry] = stored.at(p.key());
    // One tensor at a time through host memory, in its stored dtype.
    p.value().copy_(file->read(*entry));
  }
}

}  // namespace

void save_model(Vlm& model, const Tokenizer& tokenizer, const std::string& dir) {
  fs::create_directories(dir);
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& p : model->named_parameters()) tensors.emplace_back(p.key(), p.value());
  write_safetensors((fs::path(dir) / "model.safetensors").string(), tensors, {{"format", "pt"}});
  write_file((fs::path(dir) / "config.json").string(), model_config_json(model->config()));
  tokenizer.save(dir);
}

torch::ScalarType stored_dtype(const std::string& dir) { return dtype_of(open_weight_files(dir)); }

void load_weights(Vlm& model, const std::string& dir) { load_weights_from(model, open_weight_files(dir), dir); }

Vlm load_vlm(const std::string& dir, torch::Device device) {
  const fs::path config_path = fs::path(dir) / "config.json";
  ModelConfig config = model_config_parse(read_text_file(config_path.string()), config_path.string());
  // LLaVA-1.5 folders prompt through their own template where they have one (else
  // llava-1.5's published one); a finetune of a chat model through the one it keeps.
  if (config.prompt_template == kLlava15Prompt) config.chat_template = ChatTemplate::load(dir);
  if (config.prompt_template == kChatPrompt) {
    config.chat_template = ChatTemplate::load(dir);
    // A folder from elsewhere saved without its processor's template is asked plainly.
    if (!config.chat_template && config.chat_if_template) config.prompt_template = kPlainPrompt;
    if (!config.chat_template && !config.chat_if_template)
      throw Error(SourceLocation{config_path.string()}, "clear_sweep_prompt",
                  "says \"chat\", and " + dir + " has no chat template",
                  "chat_template.jinja, chat_template.json or tokenizer_config.json's chat_template");
  }
  const std::vector<std::unique_ptr<SafetensorsFile>> files = open_weight_files(dir);
  Vlm model{nullptr};
  {
    ParameterPlacementScope placement({dtype_of(files), device, /*initialise=*/false});
    model = Vlm(config);
  }
  load_weights_from(model, files, dir);
  return model;
}

LoadedModel load_model(const std::string& dir, torch::Device device) {
  LoadedModel out;
  out.tokenizer = load_tokenizer(dir);  // first: a folder without one fails before the weights load
  out.model = load_vlm(dir, device);
  return out;
}

}  // namespace clear_sweep
