#include "pipeline/face_runner.h"

#include <algorithm>

#include "common/clock.h"
#include "eval/shadow_attacks.h"
#include "faces/face_stage.h"
#include "model/finetune_stage.h"
#include "store/metric_columns.h"
#include "sweep/method_catalog.h"

namespace clear_sweep {
namespace {

FaceUnlearnSettings settings_of(const SweepSpec& spec, const Job& job) {
  FaceUnlearnSettings s;
  s.target_loss = spec.finetune.target_loss.value_or(kFaceTargetLoss);
  s.patience = spec.finetune.patience.value_or(kFacePatience);
  s.method = job.method;
  s.epochs = job.integer("epochs");
  s.lr = job.real("lr");
  s.batch_size = job.integer("batch_size");
  s.momentum = job.real("momentum");
  s.weight_decay = job.real("weight_decay");
  s.balance = job.integer("balance");
  auto optional_real = [&](const char* name, double& field) {
    if (job.hparams.count(name)) field = job.real(name);
  };
  optional_real("beta", s.beta);
  optional_real("steering", s.steering);
  optional_real("l1_weight", s.l1_weight);
  optional_real("forget_weight", s.forget_weight);
  optional_real("random_weight", s.random_weight);
  optional_real("retain_weight", s.retain_weight);
  s.seed = uint64_t(job.seed);
  return s;
}

std::vector<int64_t> without(const std::vector<int64_t>& persons, const std::vector<int64_t>& removed) {
  std::vector<int64_t> out;
  for (int64_t p : persons)
    if (std::find(removed.begin(), removed.end(), p) == removed.end()) out.push_back(p);
  return out;
}

std::map<std::string, double> accuracy_columns(const FaceAccuracy& a) {
  return {
      {"faces_forget_accuracy", a.forget}, {"faces_retain_accuracy", a.retain}, {"faces_holdout_accuracy", a.holdout}};
}

}  // namespace

FaceRunner::FaceRunner(SweepSpec spec, std::vector<Stage> stages, std::string artifacts, DeviceBinding binding)
    : RunnerBase(std::move(spec), std::move(stages), std::move(artifacts), std::move(binding)) {}

const FaceImages& FaceRunner::faces() {
  if (!faces_) faces_ = std::make_unique<FaceImages>(load_face_images(data(), spec_.model->image_size));
  return *faces_;
}

FaceModel FaceRunner::load_stage(const Stage& s) const {
  if (!stage_complete(artifacts_, s))
    throw std::runtime_error("the " + stage_label(s) + " model (stage " + s.id + ") is not in " + artifacts_);
  FaceModel model = load_face_model(stage_dir(artifacts_, s), device_);
  model->eval();
  return model;
}

FaceAccuracy FaceRunner::accuracy(FaceModel& model, const JobPersons& persons) {
  return evaluate_face_model(model, faces(), persons.forget, persons.retain, data().dataset.splits.holdout,
                             spec_.eval.enrolled);
}

void FaceRunner::ensure_references(double fraction, const JobPersons& persons) {
  if (references_.count(fraction)) return;
  FaceModel gold = load_stage(stage(StageKind::finetune_gold, fraction));
  references_[fraction] = {column_row(accuracy_columns(accuracy(base_, persons))),
                           column_row(accuracy_columns(accuracy(gold, persons)))};
}

std::map<std::string, double> FaceRunner::shadow_attacks(
    const JobPersons& persons, int64_t per_role, const FaceUnlearnSettings* settings,
    const std::function<void(int64_t done, int64_t all)>& on_model) {
  const Dataset& ds = data().dataset;
  const FaceImages& images = faces();
  const Stage& first = stage(StageKind::train_shadow, 0, 0);
  const ShadowPools pools = shadow_pools(ds, first.forget_fraction);
  // The holdout persons that mirror the forget ones: as many, from the holdout pool.
  std::vector<int64_t> holdout = pools.holdout;
  if (holdout.size() > persons.forget.size()) holdout.resize(persons.forget.size());
  std::vector<ShadowSplit> splits;
  std::vector<std::vector<double>> scores;
  for (int64_t k = 0; k < 4 * per_role; ++k) {
    const Stage& s = stage(StageKind::train_shadow, first.forget_fraction, k);
    splits.push_back(stage_split(ds, s));
    FaceModel trained = load_stage(s);
    if (settings) {
      FaceModel model = clone_face_model(trained);
      const auto& unlearned = unlearned_persons(splits.back(), persons.forget, holdout);
      unlearn_face_model(model, trained, images, images.images_of(unlearned),
                         images.images_of(without(splits.back().train_persons, unlearned)), *settings);
      scores.push_back(membership_scores(model, images, spec_.eval.enrolled));
    } else {
      scores.push_back(membership_scores(trained, images, spec_.eval.enrolled));
    }
    if (on_model) on_model(k + 1, 4 * per_role);
  }
  const auto samples = shadow_samples(splits, scores, images.images_of(persons.forget), images.images_of(holdout));
  const AttackResult mia = umia(samples), lira = ulira(samples);
  return {{"faces_umia_accuracy", mia.accuracy},
          {"faces_umia_auc", mia.auc},
          {"faces_ulira_accuracy", lira.accuracy},
          {"faces_ulira_auc", lira.auc}};
}

void FaceRunner::run_model_stage(const Stage& stage) {
  const int64_t epochs = spec_.finetune.epochs;
  run_face_stage(spec_, stage, data().dataset, faces(), artifacts_, device_, log, [&](int64_t epoch, double loss) {
    report_progress(epoch_text("", epoch, epochs, loss), double(epoch) / double(epochs));
  });
}

ResultRecord FaceRunner::run_model_job(const Job& job) {
  ResultRecord r;
  const auto load_start = std::chrono::steady_clock::now();
  const FaceImages& images = faces();
  const JobPersons persons = job_persons(data().dataset, job.forget_fraction);
  if (!base_) base_ = load_stage(stage(StageKind::finetune_base));
  report_progress("references", 0.0);
  ensure_references(job.forget_fraction, persons);
  const int64_t per_role = job.integer(kShadowModelsHParam);
  ReferenceRows reference = references_.at(job.forget_fraction);
  if (per_role > 0) {
    const auto key = std::make_pair(job.forget_fraction, per_role);
    if (!original_attacks_.count(key)) original_attacks_[key] = shadow_attacks(persons, per_role, nullptr, {});
    for (const auto& [name, value] : original_attacks_.at(key))
      reference.original.at(size_t(metric_column_index(name))) = value;
  }
  r.load_seconds = seconds_since(load_start);

  const FaceUnlearnSettings settings = settings_of(spec_, job);
  const auto unlearn_start = std::chrono::steady_clock::now();
  std::vector<double> epoch_loss;
  const double share = per_role > 0 ? 1.0 / double(1 + 4 * per_role) : 1.0;  // of the work, by models unlearned
  FaceModel model = clone_face_model(base_);
  unlearn_face_model(model, base_, images, images.images_of(persons.forget), images.images_of(persons.retain), settings,
                     [&](int64_t epoch, double loss) {
                       epoch_loss.push_back(loss);
                       report_progress(epoch_text("unlearn", epoch, settings.epochs, loss),
                                       0.9 * share * double(epoch) / double(settings.epochs));
                     });
  r.unlearn_seconds = seconds_since(unlearn_start);

  report_progress("eval", 0.9 * share);
  const auto eval_start = std::chrono::steady_clock::now();
  std::map<std::string, double> values = accuracy_columns(accuracy(model, persons));
  if (per_role > 0) {
    const auto attacks = shadow_attacks(persons, per_role, &settings, [&](int64_t done, int64_t all) {
      report_progress("shadow model " + std::to_string(done) + "/" + std::to_string(all),
                      share + (1 - share) * double(done) / double(all));
    });
    values.insert(attacks.begin(), attacks.end());
  }
  r.eval_seconds = seconds_since(eval_start);
  const std::vector<double> row = column_row(values);
  for (size_t i = 0; i < metric_columns().size(); ++i) r.metrics[metric_columns()[i].name] = row[i];
  r.vectors["unlearn_epoch_loss"] = epoch_loss;
  r.vectors[kReferenceLossVector] = {
      face_stage_final_loss(artifacts_, stage(StageKind::finetune_base)),
      face_stage_final_loss(artifacts_, stage(StageKind::finetune_gold, job.forget_fraction))};
  if (per_role > 0) {
    const double pool = stage(StageKind::train_shadow, 0, 0).forget_fraction;
    auto& shadows = r.vectors[kShadowLossVector];
    for (int64_t k = 0; k < 4 * per_role; ++k)
      shadows.push_back(face_stage_final_loss(artifacts_, stage(StageKind::train_shadow, pool, k)));
  }
  finish_record(r, reference);
  return r;
}

}  // namespace clear_sweep
