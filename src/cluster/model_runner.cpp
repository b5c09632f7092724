#include "cluster/model_runner.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>

#include "cluster/noop_runner.h"
#include "common/error.h"
#include "common/file_write.h"
#include "data/dataset_source.h"
#include "data/splits.h"
#include "eval/model_eval.h"
#include "model/checkpoint.h"
#include "model/compute_threads.h"
#include "model/device.h"
#include "model/finetune_stage.h"
#include "model/gpu_info.h"
#include "model/peft_adapter.h"
#include "store/metric_columns.h"
#include "sweep/method_catalog.h"
#include "sweep/sweep_expand.h"
#include "unlearn/robustness_attacks.h"
#include "unlearn/unlearn_loop.h"

namespace clear_sweep {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

double peak_memory_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024.0;  // kilobytes on Linux
}

}  // namespace

struct ModelRunner::State {
  SweepSpec spec;
  std::string artifacts;
  DeviceBinding binding;
  torch::Device device = torch::kCPU;
  GpuCard card;  ///< the rank's GPU (empty on the CPU), named in every row
  std::vector<Stage> stages;
  NoopRunner noop{false, ""};

  std::unique_ptr<LoadedData> data;
  LoadedModel base;
  std::unique_ptr<ImageTensors> images;
  /// What every job's metrics compare with, by fraction/modality/cap: the gold model's
  /// forget truth ratios (forget quality) and Min-K% AUC (privleak), the Original's
  /// forget and holdout losses (the Reference attack).
  struct Calibration {
    std::vector<double> gold_truth_ratios, original_forget_loss, original_holdout_loss;
    double gold_mink_auc = NAN;
    void apply(EvalInputs& in) const {
      in.gold_forget_truth_ratios = gold_truth_ratios;
      in.reference_forget_loss = original_forget_loss;
      in.reference_holdout_loss = original_holdout_loss;
      in.gold_mink_auc = gold_mink_auc;
    }
  };
  std::map<std::string, Calibration> calibration;
  /// The reference rows of a leaderboard, by fraction/modality: every metric of the
  /// model before unlearning ("original") and of the gold model, in metric_columns order.
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> references;
  /// The gold model's log-probabilities of each forget item, by fraction/modality: the
  /// oracle reference of npo with gold_reference (computed once; the gold never changes).
  std::map<std::string, std::vector<double>> gold_forget_logprobs;

  const Stage& stage(StageKind kind, double fraction) const {
    for (const auto& s : stages)
      if (s.kind == kind && (kind == StageKind::finetune_base || s.forget_fraction == fraction)) return s;
    CS_ASSERT(false, "no such stage in the plan");
    return stages.front();
  }

  /// Loads what every job shares, once. Returns the seconds it took (0 when loaded).
  double ensure_loaded() {
    if (base.model) return 0;
    const auto start = std::chrono::steady_clock::now();
    if (!data) data = std::make_unique<LoadedData>(load_data(*spec.data));
    const Stage& b = stage(StageKind::finetune_base, 0);
    if (!stage_complete(artifacts, b))
      throw std::runtime_error("the base model (stage " + b.id + ") is not in " + artifacts);
    const std::string base_dir = stage_dir(artifacts, b);
    base = load_model(base_dir, device);
    base.model->language_model->model->set_activation_checkpointing(spec.resources.activation_checkpointing);
    base.model->eval();
    // The folder's image processing: llava-1.5's CLIP processor where it has one.
    images = std::make_unique<ImageTensors>(
        data->images, load_image_processor(base_dir, int(base.model->config().vision.image_size)), device);
    return seconds_since(start);
  }

  ScoreOptions score_options() const {
    ScoreOptions o;
    o.max_new_tokens = spec.eval.max_new_tokens;
    return o;
  }

  /// A search rung evaluates on fewer items: its references are measured on the same.
  static std::string key(double fraction, Modality modality, int64_t max_items) {
    return std::to_string(fraction) + "/" + modality_name(modality) + "/" + std::to_string(max_items);
  }

  /// What `model` scores on every set of a fraction and modality, `max_items` per set.
  EvalInputs scores_of(Vlm& model, const Tokenizer& tok, double fraction, Modality modality, int64_t max_items) {
    EvalInputs in = evaluate_model(model, tok, data->dataset, *images,
                                   eval_sets(data->dataset, fraction, modality, max_items), score_options());
    in.modality = modality;
    in.truth_ratio = spec.eval.truth_ratio;
    return in;
  }

  static std::vector<double> in_column_order(const EvalReport& report) {
    std::vector<double> values;
    for (const auto& column : metric_columns()) values.push_back(report.scalars.at(column.name));
    return values;
  }

  bool attacks() const { return !spec.eval.attacks.names.empty(); }

  /// [eval] attacks on `model` as it is: the attack_* columns. Relearning gives a model
  /// without adapters (the Original, the Gold) fresh ones of the catalog's default LoRA.
  std::map<std::string, double> attacks_on(Vlm& model, const Tokenizer& tok, double fraction, Modality modality,
                                           int64_t max_items, uint64_t seed) {
    const MethodInfo& any = *method_find("ga");
    LoraSpec fresh{std::get<int64_t>(method_hparam(any, "lora_rank")->default_value),
                   std::get<double>(method_hparam(any, "lora_alpha")->default_value), 0.0};
    const AttackContext context{tok,
                                data->dataset,
                                *images,
                                eval_sets(data->dataset, fraction, modality, max_items).forget,
                                score_options(),
                                spec.eval.truth_ratio,
                                seed,
                                fresh};
    return run_attacks(model, spec.eval.attacks, context);
  }

  /// Per fraction and modality, once: the gold model's forget truth ratios (forget
  /// quality compares with them) and the Original and Gold reference metrics.
  void ensure_references(double fraction, Modality modality, int64_t max_items) {
    if (calibration.count(key(fraction, modality, max_items))) return;
    const Stage& g = stage(StageKind::finetune_gold, fraction);
    if (!stage_complete(artifacts, g))
      throw std::runtime_error("the gold model (stage " + g.id + ") is not in " + artifacts);
    LoadedModel gold = load_model(stage_dir(artifacts, g), device);
    gold.model->eval();
    // One evaluation of each gives the gold model's forget truth ratios (what forget
    // quality compares with) and Min-K% AUC (privleak's), the Original's losses (the
    // Reference attack's), and both reference rows.
    EvalInputs gold_scores = scores_of(gold.model, *gold.tokenizer, fraction, modality, max_items);
    EvalInputs original_scores = scores_of(base.model, *base.tokenizer, fraction, modality, max_items);
    const std::vector<double> ratios = truth_ratios(gold_scores.forget, spec.eval.truth_ratio, false);
    Calibration& c = calibration[key(fraction, modality, max_items)];
    c.gold_truth_ratios = ratios;
    c.original_forget_loss = original_scores.forget.answer_loss;
    c.original_holdout_loss = original_scores.holdout.answer_loss;
    c.gold_mink_auc = clear_metrics(gold_scores).scalars.at("mia_mink_auc");
    c.apply(gold_scores);
    c.apply(original_scores);
    auto& rows = references[key(fraction, modality, max_items)];
    rows = {in_column_order(clear_metrics(original_scores)), in_column_order(clear_metrics(gold_scores))};
    // The attacks on the Original (how much an attack moves a model that never forgot)
    // and on the Gold (what relearning teaches a model that never saw the forget set).
    if (attacks()) {
      for (const auto& [name, value] : attacks_on(base.model, *base.tokenizer, fraction, modality, max_items, 0))
        rows.first.at(size_t(metric_column_index(name))) = value;
      for (const auto& [name, value] : attacks_on(gold.model, *gold.tokenizer, fraction, modality, max_items, 0))
        rows.second.at(size_t(metric_column_index(name))) = value;
    }
  }
};

namespace {

/// [resources] save_adapters = "all": the job's adapters as a PEFT folder under
/// <artifacts>/adapters/<job id>.
void save_job_adapters(Vlm& model, const SweepSpec& spec, const std::string& artifacts, const std::string& job_id) {
  const auto layers = model->linear_layers();
  if (std::none_of(layers.begin(), layers.end(), [](const auto& l) { return l.second->has_adapter(); })) return;
  // Written beside, renamed into place: a folder under adapters/ is always whole.
  const std::filesystem::path root = std::filesystem::path(artifacts) / "adapters";
  const std::filesystem::path partial = root / ("." + job_id + ".partial-" + std::to_string(getpid()));
  std::error_code ec;
  std::filesystem::remove_all(partial, ec);
  try {
    classify_write_errors("cannot save the adapters of job " + job_id, [&] {
      save_peft_adapter(model, partial.string(), spec.model->preset.empty() ? spec.model->path : spec.model->preset);
      std::filesystem::remove_all(root / job_id, ec);  // a rerun of the same job replaces its own
      std::filesystem::rename(partial, root / job_id);
    });
  } catch (...) {
    std::filesystem::remove_all(partial, ec);  // a full disk: no half folder left to take space
    throw;
  }
}

/// A search trial's training state after `epochs` epochs: one file per trial and rung
/// under the artifacts folder, so whichever rank runs the next rung finds it.
std::string trial_state_path(const std::string& artifacts, const std::string& trial_id, int64_t epochs) {
  return artifacts + "/trials/" + trial_id + "/state-e" + std::to_string(epochs) + ".pt";
}

/// Where a trial-rung resumes from and saves to. A state that is missing (its rank's
/// disk is not shared, or it was cleaned away) means training from the start: slower,
/// the same result.
UnlearnContinuation trial_continuation(const SweepSpec& spec, const std::string& artifacts, const Job& job) {
  UnlearnContinuation c;
  if (job.trial_id.empty() || !spec.search || !spec.search->asha) return c;
  if (job.resume_epochs > 0) {
    const std::string from = trial_state_path(artifacts, job.trial_id, job.resume_epochs);
    if (std::filesystem::exists(from)) {
      c.resume_path = from;
      c.resume_epochs = job.resume_epochs;
    }
  }
  // The top rung's state would never be resumed from.
  if (job.integer("epochs") < spec.search->asha->max_epochs)
    c.save_path = trial_state_path(artifacts, job.trial_id, job.integer("epochs"));
  return c;
}

/// CUDA errors after which the device's context is unusable, so every later job on this
/// rank would fail too: they end the rank (FatalError), and MPI_Abort the sweep, for a
/// requeue on a sound device. Any other error is the job's own failure.
template <typename Fn>
auto fatal_if_context_broken(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const c10::Error& e) {
    const std::string what = e.what();
    for (const char* broken : {"illegal memory access", "device-side assert", "unspecified launch failure",
                               "misaligned address", "illegal instruction"})
      if (what.find(broken) != std::string::npos)
        throw FatalError("the GPU's context is broken (" + std::string(broken) +
                         "); this rank stops: " + what.substr(0, what.find('\n')));
    throw;
  }
}

}  // namespace

ModelRunner::ModelRunner(SweepSpec spec, std::string artifacts, DeviceBinding binding)
    : state_(std::make_unique<State>()) {
  state_->spec = std::move(spec);
  state_->artifacts = std::move(artifacts);
  state_->binding = binding;
  state_->device = resolve_device(binding.device);
  state_->card = gpu_card(state_->device);
  state_->stages = sweep_expand(state_->spec).stages;
  set_compute_threads(binding.threads);
}

ModelRunner::~ModelRunner() = default;

std::string ModelRunner::device() const { return state_->binding.text(); }

void ModelRunner::run_stage(const Stage& stage) {
  State& s = *state_;
  if (!s.data) s.data = std::make_unique<LoadedData>(load_data(*s.spec.data));
  // Its lines (epochs, a damaged artifact trained again) go to the run's output; its
  // progress (the last epoch's loss and time, the steps done) to the coordinator's line.
  std::string last_epoch;
  StageProgress progress;
  progress.on_epoch = [&](const EpochReport& e, int64_t epochs) {
    char text[160];
    std::snprintf(text, sizeof text, "epoch %lld/%lld, loss %.4f, %.0f s/epoch", (long long)e.epoch, (long long)epochs,
                  e.mean_loss, e.seconds);
    last_epoch = text;
  };
  progress.on_step = [&](int64_t step, int64_t steps) {
    report_progress(
        "step " + std::to_string(step) + "/" + std::to_string(steps) + (last_epoch.empty() ? "" : "; " + last_epoch),
        double(step) / double(steps));
  };
  fatal_if_context_broken([&] {
    run_finetune_stage(
        s.spec, stage, *s.data, s.artifacts, s.binding.device,
        [](const std::string& line) { std::cerr << "[worker] " << line << std::endl; }, progress);
  });
}

ResultRecord ModelRunner::run_job(const Job& job) {
  return fatal_if_context_broken([&] { return run_job_unguarded(job); });
}

ResultRecord ModelRunner::run_job_unguarded(const Job& job) {
  State& s = *state_;
  const MethodInfo* info = method_find(job.method);
  if (info && !info->needs.model) {
    s.noop.set_progress_sink([this](const std::string& phase, double fraction) { report_progress(phase, fraction); });
    return s.noop.run_job(job);
  }

  ResultRecord r;
  r.load_seconds = s.ensure_loaded();
  const Dataset& ds = s.data->dataset;
  Vlm& model = s.base.model;
  const Tokenizer& tok = *s.base.tokenizer;
  const std::string manifest = ds.root.empty() ? std::string("synthetic world") : ds.manifest_path();
  const auto forget = person_items(ds, forget_persons(ds.splits, job.forget_fraction, manifest), job.modality);
  const auto retain = person_items(ds, retain_persons(ds.splits, job.forget_fraction, manifest), job.modality);

  // Progress, roughly by time on the tiny model: references (the first job of a fraction
  // evaluates the Original and Gold), unlearning 10-70 %, evaluation, attacks.
  report_progress("references", 0.0);
  const auto gold_start = std::chrono::steady_clock::now();
  const int64_t max_items = job.eval_max_items > 0 ? job.eval_max_items : s.spec.eval.max_items;
  s.ensure_references(job.forget_fraction, job.modality, max_items);
  const std::string key = State::key(job.forget_fraction, job.modality, max_items);
  const State::Calibration& calibration = s.calibration.at(key);
  const auto& reference = s.references.at(key);
  r.load_seconds += seconds_since(gold_start);

  // Whatever happens, the next job starts from the plain base model.
  struct Detach {
    Vlm& model;
    ~Detach() { model->detach_adapters(); }
  } detach{model};

  gpu_reset_peak(s.device);
  auto method = make_method(job, model->config());
  const std::vector<double>* oracle = nullptr;
  if (method->wants_oracle_reference()) {
    const auto load_start = std::chrono::steady_clock::now();
    const std::string oracle_key = std::to_string(job.forget_fraction) + "/" + modality_name(job.modality);
    if (!s.gold_forget_logprobs.count(oracle_key)) {
      LoadedModel gold =
          load_model(stage_dir(s.artifacts, s.stage(StageKind::finetune_gold, job.forget_fraction)), s.device);
      s.gold_forget_logprobs[oracle_key] = forget_logprobs(gold.model, *gold.tokenizer, ds, *s.images, forget);
    }
    oracle = &s.gold_forget_logprobs.at(oracle_key);
    r.load_seconds += seconds_since(load_start);
  }
  const auto unlearn_start = std::chrono::steady_clock::now();
  const UnlearnContinuation continuation = trial_continuation(s.spec, s.artifacts, job);
  const int64_t epochs = job.hparams.count("epochs") ? job.integer("epochs") : 1;
  report_progress("unlearn", 0.1);
  const auto on_epoch = [&](const EpochEnd& e) {
    char text[96];
    std::snprintf(text, sizeof text, "unlearn epoch %lld/%lld, loss %.4f", (long long)e.epoch, (long long)epochs,
                  e.mean_loss);
    report_progress(text, 0.1 + 0.6 * double(e.epoch) / double(std::max<int64_t>(1, epochs)));
  };
  const UnlearnReport report = run_unlearning(model, *method, job, tok, ds, *s.images, forget, retain, on_epoch,
                                              continuation, oracle ? *oracle : std::vector<double>{});
  // Promotion happens once per rung: the state resumed from is not needed again.
  if (!continuation.resume_path.empty()) std::filesystem::remove(continuation.resume_path);
  r.unlearn_seconds = seconds_since(unlearn_start);

  if (s.spec.resources.save_adapters == "all") save_job_adapters(model, s.spec, s.artifacts, job.id);

  report_progress("eval", 0.75);
  const auto eval_start = std::chrono::steady_clock::now();
  EvalInputs inputs = s.scores_of(model, tok, job.forget_fraction, job.modality, max_items);
  calibration.apply(inputs);
  const EvalReport metrics = clear_metrics(inputs);
  r.metrics = metrics.scalars;
  // Last: relearning trains the job's adapters further.
  if (s.attacks()) report_progress("attacks", 0.9);
  if (s.attacks())
    for (const auto& [name, value] :
         s.attacks_on(model, tok, job.forget_fraction, job.modality, max_items, uint64_t(job.seed)))
      r.metrics[name] = value;
  r.eval_seconds = seconds_since(eval_start);

  r.vectors = metrics.vectors;
  r.vectors["gold_forget_truth_ratio"] = calibration.gold_truth_ratios;
  // The leaderboard's Original and Gold rows (every metric, in metric_columns order):
  // the same in every job of a fraction and modality, kept with each so any file or
  // shard carries its own references.
  r.vectors["reference_original_metrics"] = reference.first;
  r.vectors["reference_gold_metrics"] = reference.second;
  r.vectors["unlearn_epoch_loss"] = report.epoch_loss;
  if (job.rung >= 0) r.vectors["resumed_epochs"] = {double(report.resumed_epochs)};
  r.tokens = report.tokens;
  r.peak_memory_mb = peak_memory_mb();
  const GpuMemoryPeak gpu_peak = gpu_memory_peak(s.device);
  r.gpu_name = s.card.name;
  r.gpu_uuid = s.card.uuid;
  r.peak_gpu_allocated_mb = gpu_peak.allocated_mb;
  r.peak_gpu_reserved_mb = gpu_peak.reserved_mb;
  r.tokens_per_second = double(report.tokens) / std::max(1e-9, r.unlearn_seconds);
  return r;
}

}  // namespace clear_sweep
