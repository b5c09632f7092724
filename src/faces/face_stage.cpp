#include "faces/face_stage.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

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
  // Distinct per stage (shadow models differ by more than their split), stable per id.
  o.seed = std::stoull(stage.id.substr(0, 12), nullptr, 16);
  return o;
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
  train_face_model(model, faces, faces.images_of(persons), o, [&](int64_t epoch, double loss) {
    losses.push_back(loss);
    if (log) {
      char line[160];
      std::snprintf(line, sizeof line, "%s: epoch %lld/%lld loss %.4f", stage_label(stage).c_str(), (long long)epoch,
                    (long long)o.epochs, loss);
      log(line);
    }
    if (on_epoch) on_epoch(epoch, loss);
  });
  nlohmann::ordered_json j;
  j["stage"] = stage.id;
  j["kind"] = stage_kind_name(stage.kind);
  if (stage.kind != StageKind::finetune_base) j["forget_fraction"] = stage.forget_fraction;
  if (stage.kind == StageKind::train_shadow) j["shadow_index"] = stage.shadow_index;
  j["persons"] = persons;
  j["images"] = faces.images_of(persons).size();
  j["training_context"] = spec.training_context();
  j["epoch_loss"] = losses;
  model->to(torch::kCPU);
  publish_stage(root, stage, std::move(j), "cannot write the " + stage_label(stage) + " artifact",
                [&](const fs::path& partial) { save_face_model(model, partial.string()); });
  result.seconds = seconds_since(start);
  result.final_loss = losses.empty() ? 0 : losses.back();
  return result;
}

}  // namespace clear_sweep
