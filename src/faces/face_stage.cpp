#include "faces/face_stage.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/clock.h"
#include "common/error.h"
#include "common/file_write.h"
#include "data/splits.h"

namespace clear_sweep {
namespace fs = std::filesystem;

ShadowPools shadow_pools(const Dataset& dataset, double pool_fraction) {
  ShadowPools p;
  p.forget = forget_persons(dataset.splits, pool_fraction, dataset.source_name());
  p.holdout = dataset.splits.holdout;
  if (p.holdout.size() > p.forget.size()) p.holdout.resize(p.forget.size());
  for (int64_t person : dataset.splits.forget_order)
    if (std::find(p.forget.begin(), p.forget.end(), person) == p.forget.end()) p.others.push_back(person);
  return p;
}

ShadowSplit stage_split(const Dataset& dataset, const Stage& stage) {
  CS_ASSERT(stage.kind == StageKind::train_shadow, "not a shadow stage");
  const ShadowPools pools = shadow_pools(dataset, stage.forget_fraction);
  if (pools.holdout.empty())
    throw Error({dataset.source_name()}, "splits.holdout",
                "U-MIA and U-LIRA need holdout persons (never trained on), and the dataset has none",
                "set shadow_models = 0, or use a dataset with holdout persons");
  return shadow_split(stage.shadow_index, pools.forget, pools.holdout, pools.others, 0);
}

std::vector<int64_t> face_stage_persons(const Dataset& dataset, const Stage& stage) {
  switch (stage.kind) {
    case StageKind::finetune_base:
      return dataset.splits.forget_order;
    case StageKind::finetune_gold:
      return retain_persons(dataset.splits, stage.forget_fraction, dataset.source_name());
    case StageKind::train_shadow:
      return stage_split(dataset, stage).train_persons;
  }
  return {};
}

FaceTrainOptions face_stage_options(const SweepSpec& spec, const Stage& stage) {
  FaceTrainOptions o;
  o.epochs = spec.finetune.epochs;
  o.lr = spec.finetune.lr;
  o.batch_size = spec.finetune.batch_size;
  o.warmup_cosine = true;
  o.target_loss = spec.finetune.target_loss.value_or(kFaceTargetLoss);
  o.patience = spec.finetune.patience.value_or(kFacePatience);
  // Distinct per stage (shadow models differ by more than their split), stable per id.
  o.seed = std::stoull(stage.id.substr(0, 12), nullptr, 16);
  return o;
}

double face_stage_final_loss(const std::string& root, const Stage& stage) {
  const nlohmann::json j = read_stage_record(root, stage);
  if (j.is_object() && j.contains("final_loss") && j["final_loss"].is_number()) return j["final_loss"].get<double>();
  return std::nan("");
}

StageResult run_face_stage(const SweepSpec& spec, const Stage& stage, const Dataset& dataset, const FaceImages& faces,
                           const std::string& root, const torch::Device& device,
                           const std::function<void(const std::string&)>& log, const FaceEpochCallback& on_epoch) {
  StageResult result = reuse_or_set_aside(root, stage, log);
  if (result.reused) return result;
  const auto start = std::chrono::steady_clock::now();
  const std::vector<int64_t> persons = face_stage_persons(dataset, stage);
  const FaceTrainOptions o = face_stage_options(spec, stage);
  torch::manual_seed(o.seed);
  FaceModel model(spec.model->width, faces.identities());
  model->to(device);
  std::vector<double> losses;
  const std::vector<int64_t> images = faces.images_of(persons);
  const FaceTrainSummary summary = train_face_model(model, faces, images, o, [&](int64_t epoch, double loss) {
    losses.push_back(loss);
    if (log) {
      char line[160];
      std::snprintf(line, sizeof line, "%s: epoch %lld/%lld loss %.4f", stage_label(stage).c_str(), (long long)epoch,
                    (long long)o.epochs, loss);
      log(line);
    }
    if (on_epoch) on_epoch(epoch, loss);
  });
  const FaceFit fit = summary.fit ? *summary.fit : face_fit(model, faces, images, o.am);
  if (log) {
    char line[200];
    std::snprintf(line, sizeof line, "%s: stopped after %lld epochs (%s), loss %.4f, training accuracy %.3f",
                  stage_label(stage).c_str(), (long long)summary.epochs, summary.stopped_by.c_str(), fit.loss,
                  fit.accuracy);
    log(line);
  }
  nlohmann::ordered_json j;
  j["stage"] = stage.id;
  j["kind"] = stage_kind_name(stage.kind);
  if (stage.kind != StageKind::finetune_base) j["forget_fraction"] = stage.forget_fraction;
  if (stage.kind == StageKind::train_shadow) j["shadow_index"] = stage.shadow_index;
  j["persons"] = persons;
  j["images"] = images.size();
  j["training_context"] = spec.training_context();
  j["epoch_loss"] = losses;
  j["epoch_fit_loss"] = summary.epoch_fit_loss;
  j["epochs_run"] = summary.epochs;
  j["stopped_by"] = summary.stopped_by;
  j["last_stretch"] = summary.last_stretch;
  // On its training images, batch norm in eval mode: what U-MIA and U-LIRA compare.
  j["final_loss"] = fit.loss;
  j["training_accuracy"] = fit.accuracy;
  model->to(torch::kCPU);
  publish_stage(root, stage, std::move(j), "cannot write the " + stage_label(stage) + " artifact",
                [&](const fs::path& partial) { save_face_model(model, partial.string()); });
  result.seconds = seconds_since(start);
  result.final_loss = fit.loss;
  return result;
}

}  // namespace clear_sweep
