#include "model/finetune_stage.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/error.h"
#include "common/file_write.h"
#include "common/hash.h"
#include "common/number_format.h"
#include "common/publish.h"
#include "data/bpe_tokenizer.h"
#include "data/image_processor.h"
#include "data/splits.h"
#include "model/chat_prompt.h"
#include "model/checkpoint.h"
#include "model/device.h"
#include "model/finetune.h"
#include "model/peft_adapter.h"

namespace clear_sweep {
namespace fs = std::filesystem;

namespace {

constexpr const char* kStageFile = "stage.json";

/// Loss below which a from-scratch model has memorised its set: training stops early.
constexpr double kMemorisedLoss = 0.01;

}  // namespace

std::string stage_dir(const std::string& root, const Stage& stage) { return (fs::path(root) / stage.id).string(); }

namespace {

/// Every file of a stage folder but stage.json: its size and SHA-256.
nlohmann::ordered_json file_manifest(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().filename() != kStageFile) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  nlohmann::ordered_json files = nlohmann::ordered_json::object();
  for (const auto& name : names)
    files[name] = {{"bytes", fs::file_size(dir / name)}, {"sha256", sha256_file((dir / name).string())}};
  return files;
}

}  // namespace

nlohmann::json read_stage_record(const std::string& root, const Stage& stage) {
  std::ifstream in(fs::path(stage_dir(root, stage)) / kStageFile);
  if (!in) return nullptr;
  auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? nlohmann::json(nullptr) : j;
}

std::string stage_damage(const std::string& root, const Stage& stage, bool hashes) {
  const fs::path dir = stage_dir(root, stage);
  const nlohmann::json j = read_stage_record(root, stage);
  if (!j.is_object()) return std::string(kStageFile) + " is not JSON";
  if (!j.contains("files")) return "";  // written before stages listed their files
  for (const auto& [name, want] : j["files"].items()) {
    const fs::path file = dir / name;
    std::error_code ec;
    const auto bytes = fs::file_size(file, ec);
    if (ec) return name + " is missing";
    if (bytes != want.at("bytes").get<uintmax_t>())
      return name + ": " + std::to_string(bytes) + " bytes, " + kStageFile + " says " +
             std::to_string(want.at("bytes").get<uintmax_t>());
    if (hashes && sha256_file(file.string()) != want.at("sha256").get<std::string>())
      return name + ": its SHA-256 is not the one " + std::string(kStageFile) + " lists";
  }
  return "";
}

bool stage_complete(const std::string& root, const Stage& stage) {
  return fs::exists(fs::path(stage_dir(root, stage)) / kStageFile) && stage_damage(root, stage, false).empty();
}

StageResult reuse_or_set_aside(const std::string& root, const Stage& stage,
                               const std::function<void(const std::string&)>& log) {
  StageResult result;
  result.dir = stage_dir(root, stage);
  if (fs::exists(fs::path(result.dir) / kStageFile)) {
    const std::string damage = stage_damage(root, stage, true);
    if (damage.empty()) {
      result.reused = true;
      return result;
    }
    // Kept for a look, never deleted: the stage trains again beside it.
    const fs::path aside = result.dir + ".damaged-" + std::to_string(std::time(nullptr));
    fs::rename(result.dir, aside);
    if (log)
      log(stage_label(stage) + ": " + result.dir + " is damaged (" + damage + "); moved to " + aside.string() +
          ", training it again");
  }
  return result;
}

void publish_stage(const std::string& root, const Stage& stage, nlohmann::ordered_json record, const std::string& what,
                   const std::function<void(const fs::path& partial)>& fill) {
  publish_dir(stage_dir(root, stage), what, [&](const fs::path& partial) {
    fill(partial);
    record["files"] = file_manifest(partial);  // what a later run checks before it trusts the folder
    write_file((partial / kStageFile).string(), record.dump(2) + "\n");
  });
}

StageResult run_finetune_stage(const SweepSpec& spec, const Stage& stage, const LoadedData& data,
                               const std::string& root, const std::string& device,
                               const std::function<void(const std::string&)>& log, const StageProgress& progress) {
  StageResult result = reuse_or_set_aside(root, stage, log);
  if (result.reused) return result;
  CS_ASSERT(spec.model.has_value(), "a finetune stage without [model]");
  const Dataset& ds = data.dataset;
  const std::vector<int64_t> persons = stage.kind == StageKind::finetune_base
                                           ? ds.splits.forget_order
                                           : retain_persons(ds.splits, stage.forget_fraction, ds.source_name());

  // A preset trains from scratch with a BPE tokenizer learned from the dataset's text (the
  // same for base and gold, so their scores compare); a model folder brings its own.
  std::unique_ptr<Tokenizer> tokenizer;
  Vlm model{nullptr};
  FinetuneOptions o;
  o.epochs = spec.finetune.epochs;
  o.lr = spec.finetune.lr;
  o.batch_size = spec.finetune.batch_size;
  o.lora_rank = spec.finetune.lora_rank;
  o.lora_alpha = spec.finetune.lora_alpha;
  o.device = resolve_device(device);
  o.stop_loss = kMemorisedLoss;
  torch::manual_seed(0);
  if (!spec.model->preset.empty()) {
    ModelConfig config = model_preset(spec.model->preset);
    auto bpe = std::make_unique<BpeTokenizer>(BpeTokenizer::train(dataset_corpus(ds), int32_t(config.text.vocab_size)));
    config.text.vocab_size = bpe->vocab_size();
    if (config.has_vision) config.image_token_id = bpe->special().image;
    config.pad_token_id = bpe->special().pad;
    tokenizer = std::move(bpe);
    model = Vlm(config);
  } else {
    LoadedModel loaded = load_model(spec.model->path, o.device);
    model = loaded.model;
    tokenizer = std::move(loaded.tokenizer);
    use_prompt(model, *tokenizer, spec.model->path, spec.model->prompt, spec.model->system_prompt,
               spec.model->date_string, "model.prompt");
    const ModelConfig& config = model->config();
    if (config.has_vision) o.image_processor = model_family(config.family).image_processor(spec.model->path, config);
  }

  model->set_activation_checkpointing(spec.resources.activation_checkpointing);
  model->set_adapt_every_linear(spec.model->lora_targets == "all");
  check_model_reads(model->config(), ds, spec.file);
  const auto items = finetune_items(ds, persons, model->config().has_vision);
  const auto start = unix_now();
  int64_t epochs_run = 0;
  const bool imported = stage.kind == StageKind::finetune_base && !spec.finetune.base_adapter.empty();
  if (imported) {  // the base is [model] + a published LoRA finetune: fold it in, train nothing
    torch::NoGradGuard no_grad;
    load_peft_adapter(model, spec.finetune.base_adapter);
    model->fold_adapters();
    if (log) log(stage_label(stage) + ": folded the adapter " + spec.finetune.base_adapter);
  }
  const FinetuneReport report =
      imported ? FinetuneReport{}
               : finetune(
                     model, *tokenizer, ds, data.images, items, o,
                     [&](const EpochReport& e) {
                       ++epochs_run;
                       if (progress.on_epoch) progress.on_epoch(e, o.epochs);
                       if (log) {
                         char line[200];
                         std::snprintf(line, sizeof line, "%s: epoch %lld/%lld loss %.4f (%.1f s, %.0f tokens/s)",
                                       stage_label(stage).c_str(), (long long)e.epoch, (long long)o.epochs, e.mean_loss,
                                       e.seconds, e.tokens / std::max(1e-9, e.seconds));
                         log(line);
                       }
                     },
                     progress.on_step);

  nlohmann::ordered_json j;
  j["stage"] = stage.id;
  j["kind"] = stage_kind_name(stage.kind);
  if (stage.kind == StageKind::finetune_gold) j["forget_fraction"] = stage.forget_fraction;
  j["persons"] = persons.size();
  j["items"] = items.size();
  j["training_context"] = spec.training_context();
  j["finished"] = utc_now_iso();
  j["seconds"] = report.seconds;
  j["epoch_loss"] = nlohmann::json::array();
  for (const auto& e : report.epochs) j["epoch_loss"].push_back(e.mean_loss);
  model->to(torch::kCPU);
  publish_stage(root, stage, std::move(j), "cannot write the " + stage_label(stage) + " artifact",
                [&](const fs::path& partial) {
                  save_model(model, *tokenizer, partial.string());
                  // A pretrained folder's image processing and chat template go with its
                  // finetunes (the worker reads them), in whichever file the folder holds them.
                  // (tokenizer_config.json may hold the template; a tokenizer.json's
                  // tokenizer has written its own already.)
                  if (spec.model->preset.empty())
                    for (const char* file : {kProcessorConfigFile, kPreprocessorConfigFile, "chat_template.jinja",
                                             "chat_template.json", "tokenizer_config.json"})
                      if (fs::exists(fs::path(spec.model->path) / file) && !fs::exists(partial / file))
                        fs::copy_file(fs::path(spec.model->path) / file, partial / file);
                });
  result.seconds = unix_now() - start;
  result.final_loss = report.epochs.empty() ? 0 : report.epochs.back().mean_loss;
  return result;
}

}  // namespace clear_sweep
