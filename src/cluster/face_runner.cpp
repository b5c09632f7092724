#include "cluster/face_runner.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>

#include "cluster/noop_runner.h"
#include "common/error.h"
#include "data/dataset_source.h"
#include "data/splits.h"
#include "eval/shadow_attacks.h"
#include "faces/face_methods.h"
#include "faces/face_stage.h"
#include "model/compute_threads.h"
#include "model/device.h"
#include "store/metric_columns.h"
#include "sweep/method_catalog.h"
#include "sweep/sweep_expand.h"

namespace clear_sweep {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

/// A row of every metric column, NaN but the given ones.
std::vector<double> column_row(const std::map<std::string, double>& values) {
  std::vector<double> row;
  for (const auto& column : metric_columns()) {
    const auto it = values.find(column.name);
    row.push_back(it == values.end() ? NAN : it->second);
  }
  return row;
}

FaceUnlearnSettings settings_of(const Job& job) {
  FaceUnlearnSettings s;
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

}  // namespace

struct FaceRunner::State {
  SweepSpec spec;
  std::string artifacts;
  DeviceBinding binding;
  torch::Device device = torch::kCPU;
  std::vector<Stage> stages;
  NoopRunner noop{false, ""};
  std::unique_ptr<LoadedData> data;
  std::unique_ptr<FaceImages> faces;
  FaceModel base{nullptr};
  /// By fraction: the Original's and the Gold's accuracies, in metric_columns order.
  std::map<double, std::pair<std::vector<double>, std::vector<double>>> references;
  /// By (fraction, shadow models per role): the attacks on the shadow models as trained
  /// (the Original row's U-MIA / U-LIRA).
  std::map<std::pair<double, int64_t>, std::map<std::string, double>> original_attacks;

  std::string manifest() const {
    return data->dataset.root.empty() ? std::string("synthetic world") : data->dataset.manifest_path();
  }

  void ensure_data() {
    if (faces) return;
    if (!data) data = std::make_unique<LoadedData>(load_data(*spec.data));
    faces = std::make_unique<FaceImages>(load_face_images(*data, spec.model->image_size));
  }

  const Stage& stage(StageKind kind, double fraction, int64_t shadow_index = -1) const {
    for (const auto& s : stages)
      if (s.kind == kind &&
          (kind == StageKind::finetune_base || s.forget_fraction == fraction || kind == StageKind::train_shadow) &&
          s.shadow_index == shadow_index)
        return s;
    CS_ASSERT(false, "no such stage in the plan");
    return stages.front();
  }

  FaceModel load_stage(const Stage& s) const {
    if (!stage_complete(artifacts, s))
      throw std::runtime_error("the " + stage_label(s) + " model (stage " + s.id + ") is not in " + artifacts);
    FaceModel model = load_face_model(stage_dir(artifacts, s), device);
    model->eval();
    return model;
  }

  FaceAccuracy accuracy(FaceModel& model, double fraction) {
    const Dataset& ds = data->dataset;
    return evaluate_face_model(model, *faces, forget_persons(ds.splits, fraction, manifest()),
                               retain_persons(ds.splits, fraction, manifest()), ds.splits.holdout, spec.eval.enrolled);
  }

  static std::map<std::string, double> accuracy_columns(const FaceAccuracy& a) {
    return {{"faces_forget_accuracy", a.forget},
            {"faces_retain_accuracy", a.retain},
            {"faces_holdout_accuracy", a.holdout}};
  }

  void ensure_references(double fraction) {
    if (references.count(fraction)) return;
    FaceModel gold = load_stage(stage(StageKind::finetune_gold, fraction));
    references[fraction] = {column_row(accuracy_columns(accuracy(base, fraction))),
                            column_row(accuracy_columns(accuracy(gold, fraction)))};
  }

  /// U-MIA and U-LIRA over the 4N shadow models of the plan, each unlearned by
  /// `settings` (or left as trained when `settings` is null). `on_model` sees each done.
  std::map<std::string, double> shadow_attacks(double fraction, int64_t per_role, const FaceUnlearnSettings* settings,
                                               const std::function<void(int64_t done, int64_t all)>& on_model) {
    const Dataset& ds = data->dataset;
    const std::vector<int64_t> forget = forget_persons(ds.splits, fraction, manifest());
    const Stage& first = stage(StageKind::train_shadow, 0, 0);
    const ShadowPools pools = shadow_pools(ds, first.forget_fraction);
    // The holdout persons that mirror the forget ones: as many, from the holdout pool.
    std::vector<int64_t> holdout = pools.holdout;
    if (holdout.size() > forget.size()) holdout.resize(forget.size());
    std::vector<ShadowSplit> splits;
    std::vector<std::vector<double>> scores;
    for (int64_t k = 0; k < 4 * per_role; ++k) {
      const Stage& s = stage(StageKind::train_shadow, first.forget_fraction, k);
      splits.push_back(stage_split(ds, s));
      FaceModel trained = load_stage(s);
      if (settings) {
        FaceModel model = clone_face_model(trained);
        const auto& unlearned = unlearned_persons(splits.back(), forget, holdout);
        unlearn_face_model(model, trained, *faces, faces->images_of(unlearned),
                           faces->images_of(without(splits.back().train_persons, unlearned)), *settings);
        scores.push_back(membership_scores(model, *faces, spec.eval.enrolled));
      } else {
        scores.push_back(membership_scores(trained, *faces, spec.eval.enrolled));
      }
      if (on_model) on_model(k + 1, 4 * per_role);
    }
    const auto samples = shadow_samples(splits, scores, faces->images_of(forget), faces->images_of(holdout));
    const AttackResult mia = umia(samples), lira = ulira(samples);
    return {{"faces_umia_accuracy", mia.accuracy},
            {"faces_umia_auc", mia.auc},
            {"faces_ulira_accuracy", lira.accuracy},
            {"faces_ulira_auc", lira.auc}};
  }
};

FaceRunner::FaceRunner(SweepSpec spec, std::string artifacts, DeviceBinding binding)
    : state_(std::make_unique<State>()) {
  state_->spec = std::move(spec);
  state_->artifacts = std::move(artifacts);
  state_->binding = binding;
  state_->device = resolve_device(binding.device);
  state_->stages = sweep_expand(state_->spec).stages;
  set_compute_threads(binding.threads);
}

FaceRunner::~FaceRunner() = default;

std::string FaceRunner::device() const { return state_->binding.text(); }

void FaceRunner::run_stage(const Stage& stage) {
  State& s = *state_;
  s.ensure_data();
  const int64_t epochs = s.spec.finetune.epochs;
  run_face_stage(
      s.spec, stage, s.data->dataset, *s.faces, s.artifacts, s.device,
      [](const std::string& line) { std::cerr << "[worker] " << line << std::endl; },
      [&](int64_t epoch, double loss) {
        char text[96];
        std::snprintf(text, sizeof text, "epoch %lld/%lld, loss %.4f", (long long)epoch, (long long)epochs, loss);
        report_progress(text, double(epoch) / double(epochs));
      });
}

ResultRecord FaceRunner::run_job(const Job& job) {
  State& s = *state_;
  const MethodInfo* info = method_find(job.method);
  if (info && !info->needs.model) {
    s.noop.set_progress_sink([this](const std::string& phase, double fraction) { report_progress(phase, fraction); });
    return s.noop.run_job(job);
  }
  ResultRecord r;
  const auto load_start = std::chrono::steady_clock::now();
  s.ensure_data();
  if (!s.base) s.base = s.load_stage(s.stage(StageKind::finetune_base, 0));
  report_progress("references", 0.0);
  s.ensure_references(job.forget_fraction);
  const int64_t per_role = job.integer(kShadowModelsHParam);
  auto reference = s.references.at(job.forget_fraction);
  if (per_role > 0) {
    const auto key = std::make_pair(job.forget_fraction, per_role);
    if (!s.original_attacks.count(key))
      s.original_attacks[key] = s.shadow_attacks(job.forget_fraction, per_role, nullptr, {});
    for (const auto& [name, value] : s.original_attacks.at(key))
      reference.first.at(size_t(metric_column_index(name))) = value;
  }
  r.load_seconds = seconds_since(load_start);

  const FaceUnlearnSettings settings = settings_of(job);
  const Dataset& ds = s.data->dataset;
  const auto forget = forget_persons(ds.splits, job.forget_fraction, s.manifest());
  const auto retain = retain_persons(ds.splits, job.forget_fraction, s.manifest());
  const auto unlearn_start = std::chrono::steady_clock::now();
  std::vector<double> epoch_loss;
  const double share = per_role > 0 ? 1.0 / double(1 + 4 * per_role) : 1.0;  // of the work, by models unlearned
  FaceModel model = clone_face_model(s.base);
  unlearn_face_model(model, s.base, *s.faces, s.faces->images_of(forget), s.faces->images_of(retain), settings,
                     [&](int64_t epoch, double loss) {
                       epoch_loss.push_back(loss);
                       char text[96];
                       std::snprintf(text, sizeof text, "unlearn epoch %lld/%lld, loss %.4f", (long long)epoch,
                                     (long long)settings.epochs, loss);
                       report_progress(text, 0.9 * share * double(epoch) / double(settings.epochs));
                     });
  r.unlearn_seconds = seconds_since(unlearn_start);

  report_progress("eval", 0.9 * share);
  const auto eval_start = std::chrono::steady_clock::now();
  std::map<std::string, double> values = State::accuracy_columns(s.accuracy(model, job.forget_fraction));
  if (per_role > 0) {
    const auto attacks = s.shadow_attacks(job.forget_fraction, per_role, &settings, [&](int64_t done, int64_t all) {
      report_progress("shadow model " + std::to_string(done) + "/" + std::to_string(all),
                      share + (1 - share) * double(done) / double(all));
    });
    values.insert(attacks.begin(), attacks.end());
  }
  r.eval_seconds = seconds_since(eval_start);
  const std::vector<double> row = column_row(values);
  for (size_t i = 0; i < metric_columns().size(); ++i) r.metrics[metric_columns()[i].name] = row[i];
  r.vectors["reference_original_metrics"] = reference.first;
  r.vectors["reference_gold_metrics"] = reference.second;
  r.vectors["unlearn_epoch_loss"] = epoch_loss;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  r.peak_memory_mb = double(usage.ru_maxrss) / 1024.0;
  return r;
}

}  // namespace clear_sweep
