#include "sweep/sweep_spec.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "common/hash.h"
#include "common/number_format.h"
#include "common/suggest.h"
#include "sweep/method_catalog.h"

namespace clear_sweep {

const std::vector<std::string>& model_presets() {
  // In the model layer's order: its families by name, each family's presets in turn.
  static const std::vector<std::string> presets = {"tiny-idefics2",
                                                   "idefics2-8b",
                                                   "tiny-text",
                                                   "llama-3.2-1b",
                                                   "llama-2-7b",
                                                   "tiny",
                                                   "small",
                                                   "llava-1.5-7b",
                                                   "tiny-llava-next",
                                                   "llava-v1.6-vicuna-7b",
                                                   "llava-v1.6-mistral-7b",
                                                   "mistral-7b",
                                                   "qwen2.5-1.5b",
                                                   "qwen2.5-7b",
                                                   "tiny-qwen2-vl",
                                                   "tiny-qwen2.5-vl",
                                                   "qwen2-vl-2b",
                                                   "qwen2-vl-7b",
                                                   "qwen2.5-vl-3b",
                                                   "qwen2.5-vl-7b",
                                                   kFacePreset};
  return presets;
}

bool published_shape_preset(const std::string& preset) {
  static const std::vector<std::string> shapes = {
      "llama-3.2-1b",          "llama-2-7b",  "mistral-7b",    "qwen2.5-1.5b",  "qwen2.5-7b",
      "qwen2-vl-2b",           "qwen2-vl-7b", "qwen2.5-vl-3b", "qwen2.5-vl-7b", "llava-v1.6-vicuna-7b",
      "llava-v1.6-mistral-7b", "idefics2-8b"};
  return std::find(shapes.begin(), shapes.end(), preset) != shapes.end();
}

bool text_only_preset(const std::string& preset) {
  static const std::vector<std::string> text = {"tiny-text",  "llama-3.2-1b", "llama-2-7b",
                                                "mistral-7b", "qwen2.5-1.5b", "qwen2.5-7b"};
  return std::find(text.begin(), text.end(), preset) != text.end();
}

const char* data_source_name(DataSource source) { return source == DataSource::clear ? "clear" : "synthetic"; }

const char* truth_ratio_name(TruthRatioForm form) { return form == TruthRatioForm::pooled ? "pooled" : "per_item"; }

bool SweepSpec::needs_model() const {
  for (const auto& name : grid.methods) {
    const MethodInfo* method = method_find(name);
    CS_ASSERT(method != nullptr, "unvalidated method name " + name);
    if (method->needs.model) return true;
  }
  return false;
}

ModelKind SweepSpec::model_kind() const {
  return model && model->preset == kFacePreset ? ModelKind::faces : ModelKind::vlm;
}

int64_t SweepSpec::max_shadow_models() const {
  int64_t most = 0;
  for (const auto& name : grid.methods) {
    const MethodInfo* method = method_find(name);
    if (!method || !method_hparam(*method, kShadowModelsHParam)) continue;
    std::vector<HParamValue> values = {method_hparam(*method, kShadowModelsHParam)->default_value};
    if (const auto own = grid.method_axes.find(name);
        own != grid.method_axes.end() && own->second.count(kShadowModelsHParam))
      values = own->second.at(kShadowModelsHParam).values;
    else if (grid.shared_axes.count(kShadowModelsHParam))
      values = grid.shared_axes.at(kShadowModelsHParam).values;
    for (const auto& v : values) most = std::max(most, std::get<int64_t>(v));
  }
  return most;
}

int64_t SweepSpec::persons() const {
  if (!data) return 0;
  return data->persons;  // real CLEAR: 200, MLLMU-Bench: 500 (set when parsed)
}

double SweepSpec::images_per_person() const {
  if (!data) return 0;
  if (data->is_tofu()) return 0;
  if (data->source == DataSource::clear) return data->is_mllmu() ? 2.0 : kClearImagesPerPerson;
  return double(data->images_per_person);
}

int64_t SweepSpec::forget_persons(double forget_fraction) const {
  // Round half away from zero: CLEAR's 1 / 5 / 10 % of 200 are 2 / 10 / 20 exactly.
  return std::llround(double(persons()) * forget_fraction / 100.0);
}

// The canonical texts below are hashed into ids: a change of format changes every id,
// so the "v1" tags must move with any change here.
std::string SweepSpec::training_context() const {
  if (!needs_model()) return "clear-sweep/training/v1|no-model";
  std::string out = "clear-sweep/training/v1";
  out += "|data:source=" + std::string(data_source_name(data->source));
  if (data->source == DataSource::synthetic) {
    out += ",persons=" + std::to_string(data->persons);
    out += ",images_per_person=" + std::to_string(data->images_per_person);
    out += ",seed=" + std::to_string(data->seed);
  }
  // Only when set, so the ids of CLEAR sweeps stay as they were.
  if (data->is_mllmu()) {
    out += ",benchmark=mllmu";
    if (data->source == DataSource::synthetic) out += ",celebrities=" + std::to_string(data->celebrities);
  }
  if (data->is_tofu()) {
    out += ",benchmark=tofu";
    if (data->source == DataSource::synthetic) out += ",celebrities=" + std::to_string(data->celebrities);
  }
  // The dataset path of real CLEAR is left out: the same data mounted elsewhere on
  // another cluster must give the same ids, so results files merge across clusters.
  out += "|model:" + (model->preset.empty() ? "path=" + model->path : "preset=" + model->preset);
  if (model_kind() == ModelKind::faces)
    out += ",width=" + std::to_string(model->width) + ",image_size=" + std::to_string(model->image_size);
  // Only when set: every sweep before prompts kept its ids. The texts are quoted whole.
  if (model->prompt == "chat")
    out += ",prompt=chat,system_prompt=" + nlohmann::json(model->system_prompt).dump() +
           ",date_string=" + nlohmann::json(model->date_string).dump();
  if (model->prompt == "llava-1.5") out += ",prompt=llava-1.5";  // a stage trained on other prompts
  if (model->lora_targets != "decoder") out += ",lora_targets=" + model->lora_targets;
  out += "|finetune:epochs=" + std::to_string(finetune.epochs);
  out += ",lr=" + format_number(finetune.lr);
  out += ",batch_size=" + std::to_string(finetune.batch_size);
  out += ",lora_rank=" + std::to_string(finetune.lora_rank);
  // Later keys only when given, so the ids of earlier sweeps stay as they were.
  if (finetune.lora_alpha > 0) out += ",lora_alpha=" + format_number(finetune.lora_alpha);
  if (!finetune.base_adapter.empty()) out += ",base_adapter=" + finetune.base_adapter;
  // v2: batches of near-equal size, warm-up and cosine, the stopping rule.
  if (model_kind() == ModelKind::faces)
    out += ",faces_training=v2,target_loss=" + format_number(finetune.target_loss.value_or(kFaceTargetLoss)) +
           ",patience=" + std::to_string(finetune.patience.value_or(kFacePatience));
  return out;
}

std::string SweepSpec::job_context() const {
  if (!needs_model()) return training_context();  // no model, nothing is evaluated
  std::string out = training_context();
  out += "|eval:max_items=" + std::to_string(eval.max_items);
  out += ",max_new_tokens=" + std::to_string(eval.max_new_tokens);
  out += ",truth_ratio=" + std::string(truth_ratio_name(eval.truth_ratio));
  if (model_kind() == ModelKind::faces) {
    out += ",enrolled=" + std::to_string(eval.enrolled);
    // The shadow models' forget pool is the grid's largest fraction: it shapes every
    // job's U-MIA and U-LIRA, so it is part of what a result means.
    if (max_shadow_models() > 0)
      out += ",shadow_pool=" +
             format_number(*std::max_element(grid.forget_fractions.begin(), grid.forget_fractions.end()));
  }
  // Attacks add columns to a job's row: only when asked, so earlier ids stay as they were.
  const AttackSpec& a = eval.attacks;
  if (!a.names.empty()) {
    out += ",attacks=" + join(a.names, "+");
    if (a.has("relearn"))
      out += ",relearn_steps=" + std::to_string(a.relearn_steps) + ",relearn_lr=" + format_number(a.relearn_lr) +
             ",relearn_fraction=" + format_number(a.relearn_fraction) +
             ",relearn_batch_size=" + std::to_string(a.relearn_batch_size) +
             (a.relearn_on == "split" ? std::string() : ",relearn_on=" + a.relearn_on);
    if (a.has("quant4")) out += ",quant4_group_size=" + std::to_string(a.quant4_group_size);
  }
  return out;
}

bool AttackSpec::has(const std::string& name) const {
  return std::find(names.begin(), names.end(), name) != names.end();
}

const std::vector<std::string>& attack_names() {
  static const std::vector<std::string> names{"relearn", "quant8", "quant4"};
  return names;
}

std::string SweepSpec::context_hash() const { return short_hash(job_context()); }

}  // namespace clear_sweep
