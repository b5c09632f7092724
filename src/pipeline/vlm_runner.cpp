#include "pipeline/vlm_runner.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "common/clock.h"
#include "common/error.h"
#include "common/publish.h"
#include "model/finetune_stage.h"
#include "model/model_family.h"
#include "model/peft_adapter.h"
#include "store/metric_columns.h"
#include "sweep/method_catalog.h"
#include "unlearn/robustness_attacks.h"
#include "unlearn/unlearn_loop.h"

namespace clear_sweep {
namespace {

/// [resources] save_adapters = "all": the job's adapters as a PEFT folder under
/// <artifacts>/adapters/<job id>; a rerun of the same job replaces its own.
void save_job_adapters(Vlm& model, const SweepSpec& spec, const std::string& artifacts, const std::string& job_id) {
  const auto layers = model->linear_layers();
  if (std::none_of(layers.begin(), layers.end(), [](const auto& l) { return l.second->has_adapter(); })) return;
  publish_dir(std::filesystem::path(artifacts) / "adapters" / job_id, "cannot save the adapters of job " + job_id,
              [&](const std::filesystem::path& partial) {
                save_peft_adapter(model, partial.string(),
                                  spec.model->preset.empty() ? spec.model->path : spec.model->preset);
              });
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

/// The weights' requires_grad flags, given back with no gradient left after an
/// evaluation that ran out of memory midway (GradNorm makes every weight trainable while
/// it runs, and gives the flags back only when it ends).
class WeightFlags {
 public:
  explicit WeightFlags(Vlm& model) : weights_(model->parameters()) {
    for (const auto& a : model->adapter_parameters()) weights_.push_back(a);
    for (const auto& w : weights_) flags_.push_back(w.requires_grad());
  }
  void restore() {
    for (size_t i = 0; i < weights_.size(); ++i) {
      weights_[i].set_requires_grad(flags_[i]);
      weights_[i].mutable_grad() = torch::Tensor();
    }
  }

 private:
  std::vector<torch::Tensor> weights_;
  std::vector<bool> flags_;
};

/// Every metric column, in order; clear_metrics reports them all (a missing one throws).
std::vector<double> in_column_order(const EvalReport& report) {
  std::vector<double> values;
  for (const auto& column : metric_columns()) values.push_back(report.scalars.at(column.name));
  return values;
}

}  // namespace

void VlmRunner::Calibration::apply(EvalInputs& in) const {
  in.gold_forget_truth_ratios = gold_truth_ratios;
  in.reference_forget_loss = original_forget_loss;
  in.reference_holdout_loss = original_holdout_loss;
  in.gold_mink_auc = gold_mink_auc;
}

VlmRunner::VlmRunner(SweepSpec spec, std::vector<Stage> stages, std::string artifacts, DeviceBinding binding)
    : RunnerBase(std::move(spec), std::move(stages), std::move(artifacts), std::move(binding)),
      card_(gpu_card(device_)) {}

std::string VlmRunner::key(double fraction, Modality modality, int64_t max_items) {
  return std::to_string(fraction) + "/" + modality_name(modality) + "/" + std::to_string(max_items);
}

double VlmRunner::ensure_loaded() {
  if (base_.model) return 0;
  const auto start = std::chrono::steady_clock::now();
  const LoadedData& d = data();
  const Stage& b = stage(StageKind::finetune_base);
  if (!stage_complete(artifacts_, b))
    throw std::runtime_error("the base model (stage " + b.id + ") is not in " + artifacts_);
  const std::string base_dir = stage_dir(artifacts_, b);
  base_ = load_model(base_dir, device_);
  base_.model->set_activation_checkpointing(spec_.resources.activation_checkpointing);
  base_.model->set_adapt_every_linear(spec_.model->lora_targets == "all");
  base_.model->eval();
  // The folder's own image processing (llava-1.5's CLIP processor where it has one). A
  // text-only model is asked no image (eval_sets, finetune_items): its table is never read.
  const ModelConfig& config = base_.model->config();
  images_ = std::make_unique<ImageTensors>(
      d.images,
      config.has_vision ? model_family(config.family).image_processor(base_dir, config) : ImageProcessor::stretch(1),
      device_);
  return seconds_since(start);
}

ScoreOptions VlmRunner::score_options(const EvalBatching& batching) const {
  ScoreOptions o;
  o.max_new_tokens = spec_.eval.max_new_tokens;
  o.batch_size = batching.batch_size;
  o.generation_batch = batching.generation_batch;
  return o;
}

EvalInputs VlmRunner::scores_of(Vlm& model, const Tokenizer& tok, const EvalSets& sets, Modality modality,
                                const std::string& what) {
  const ScoreOptions asked;  // every evaluation starts from the full batches
  EvalInputs in;
  WeightFlags flags(model);
  std::string warning;
  eval_fit_ = oom_fit(
      EvalBatching{asked.batch_size, asked.generation_batch}, device_, what,
      [&](const EvalBatching& b) {
        const ScoreOptions options = score_options(b);
        // CLEAR_SWEEP_INJECT_OOM=eval:N (tests on the CPU): where a GPU would run out.
        oom_inject("an evaluation batch", std::max(options.batch_size, options.generation_batch),
                   oom_injection().eval_rows);
        in = evaluate_model(model, tok, data().dataset, *images_, sets, options);
      },
      [&] {
        flags.restore();
        model->eval();
      },
      warning, log);
  if (!warning.empty()) warnings_.push_back(warning);
  in.modality = modality;
  in.truth_ratio = spec_.eval.truth_ratio;
  return in;
}

std::map<std::string, double> VlmRunner::attacks_on(Vlm& model, const Tokenizer& tok,
                                                    const std::vector<ItemRef>& forget, uint64_t seed,
                                                    const EvalBatching& batching) {
  const MethodInfo& any = *method_find("ga");
  LoraSpec fresh{std::get<int64_t>(method_hparam(any, "lora_rank")->default_value),
                 std::get<double>(method_hparam(any, "lora_alpha")->default_value), 0.0};
  const AttackContext context{tok,  data().dataset, *images_, forget, score_options(batching), spec_.eval.truth_ratio,
                              seed, fresh};
  return run_attacks(model, spec_.eval.attacks, context);
}

void VlmRunner::ensure_references(const std::string& key, double fraction, const EvalSets& sets, Modality modality) {
  if (calibration_.count(key)) return;
  const Stage& g = stage(StageKind::finetune_gold, fraction);
  if (!stage_complete(artifacts_, g))
    throw std::runtime_error("the gold model (stage " + g.id + ") is not in " + artifacts_);
  LoadedModel gold = load_model(stage_dir(artifacts_, g), device_);
  gold.model->set_adapt_every_linear(spec_.model->lora_targets == "all");  // its relearn attack adapts as the jobs do
  gold.model->eval();
  // One evaluation of each gives the gold model's forget truth ratios (what forget
  // quality compares with) and Min-K% AUC (privleak's), the Original's losses (the
  // Reference attack's), and both reference rows.
  EvalInputs gold_scores = scores_of(gold.model, *gold.tokenizer, sets, modality, "the Gold model's evaluation");
  const EvalBatching gold_fit = eval_fit_;
  EvalInputs original_scores =
      scores_of(base_.model, *base_.tokenizer, sets, modality, "the Original model's evaluation");
  const EvalBatching original_fit = eval_fit_;
  Calibration& c = calibration_[key];
  c.gold_truth_ratios = truth_ratios(gold_scores.forget, spec_.eval.truth_ratio, false);
  c.original_forget_loss = original_scores.forget.answer_loss;
  c.original_holdout_loss = original_scores.holdout.answer_loss;
  c.gold_mink_auc = clear_metrics(gold_scores).scalars.at("mia_mink_auc");
  c.apply(gold_scores);
  c.apply(original_scores);
  ReferenceRows& rows = references_[key];
  rows = {in_column_order(clear_metrics(original_scores)), in_column_order(clear_metrics(gold_scores))};
  // The attacks on the Original (how much an attack moves a model that never forgot)
  // and on the Gold (what relearning teaches a model that never saw the forget set).
  if (attacks()) {
    for (const auto& [name, value] : attacks_on(base_.model, *base_.tokenizer, sets.forget, 0, original_fit))
      rows.original.at(size_t(metric_column_index(name))) = value;
    for (const auto& [name, value] : attacks_on(gold.model, *gold.tokenizer, sets.forget, 0, gold_fit))
      rows.gold.at(size_t(metric_column_index(name))) = value;
  }
}

void VlmRunner::run_model_stage(const Stage& stage) {
  const LoadedData& d = data();
  // Its lines (epochs, a damaged artifact trained again) go to the run's output; its
  // progress (the last epoch's loss and time, the steps done) to the coordinator's line.
  std::string last_epoch;
  StageProgress progress;
  progress.on_epoch = [&](const EpochReport& e, int64_t epochs) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, ", %.0f s/epoch", e.seconds);
    last_epoch = epoch_text("", e.epoch, epochs, e.mean_loss) + seconds;
  };
  progress.on_step = [&](int64_t step, int64_t steps) {
    report_progress(
        "step " + std::to_string(step) + "/" + std::to_string(steps) + (last_epoch.empty() ? "" : "; " + last_epoch),
        double(step) / double(steps));
  };
  run_finetune_stage(spec_, stage, d, artifacts_, binding_.device, log, progress);
}

ResultRecord VlmRunner::run_model_job(const Job& job) {
  ResultRecord r;
  warnings_.clear();
  r.load_seconds = ensure_loaded();
  const Dataset& ds = data().dataset;
  Vlm& model = base_.model;
  const Tokenizer& tok = *base_.tokenizer;
  const bool sees_images = model->config().has_vision;
  check_model_reads(model->config(), ds, spec_.file);
  if (!sees_images && job.modality != Modality::text)
    throw Error(SourceLocation{spec_.file}, "grid.modality",
                "job " + job.id + " unlearns the " + modality_name(job.modality) + " modality, and the " +
                    model->config().family + " model is text-only",
                "a language model sees no image: modality = [\"text\"]");
  const JobPersons persons = job_persons(ds, job.forget_fraction);
  const auto forget = person_items(ds, persons.forget, job.modality);
  const auto retain = person_items(ds, persons.retain, job.modality);

  // Progress, roughly by time on the tiny model: references (the first job of a fraction
  // evaluates the Original and Gold), unlearning 10-70 %, evaluation, attacks.
  report_progress("references", 0.0);
  const auto gold_start = std::chrono::steady_clock::now();
  const int64_t max_items = job.eval_max_items > 0 ? job.eval_max_items : spec_.eval.max_items;
  const EvalSets sets = eval_sets(ds, persons, job.modality, max_items, sees_images);
  const std::string references_key = key(job.forget_fraction, job.modality, max_items);
  ensure_references(references_key, job.forget_fraction, sets, job.modality);
  const Calibration& calibration = calibration_.at(references_key);
  const ReferenceRows& reference = references_.at(references_key);
  r.load_seconds += seconds_since(gold_start);

  // Whatever happens, the next job starts from the plain base model.
  struct Detach {
    Vlm& model;
    ~Detach() { model->detach_adapters(); }
  } detach{model};

  gpu_reset_peak(device_);
  auto method = make_method(job, model->config());
  const std::vector<double>* oracle = nullptr;
  if (method->wants_oracle_reference()) {
    const auto load_start = std::chrono::steady_clock::now();
    const std::string oracle_key = std::to_string(job.forget_fraction) + "/" + modality_name(job.modality);
    if (!gold_forget_logprobs_.count(oracle_key)) {
      LoadedModel gold =
          load_model(stage_dir(artifacts_, stage(StageKind::finetune_gold, job.forget_fraction)), device_);
      gold_forget_logprobs_[oracle_key] = forget_logprobs(gold.model, *gold.tokenizer, ds, *images_, forget);
    }
    oracle = &gold_forget_logprobs_.at(oracle_key);
    r.load_seconds += seconds_since(load_start);
  }
  const auto unlearn_start = std::chrono::steady_clock::now();
  const UnlearnContinuation continuation = trial_continuation(spec_, artifacts_, job);
  const int64_t epochs = job.hparams.count("epochs") ? job.integer("epochs") : 1;
  report_progress("unlearn", 0.1);
  const auto on_epoch = [&](const EpochEnd& e) {
    report_progress(epoch_text("unlearn", e.epoch, epochs, e.mean_loss),
                    0.1 + 0.6 * double(e.epoch) / double(std::max<int64_t>(1, epochs)));
  };
  // Out of memory: again from fresh adapters with half the micro-batch and twice the
  // accumulation, as the job asked that way would have run. A retry starts from the
  // beginning, without a search trial's saved state (it counted other micro-batches)
  // and saving none (the next rung starts at the job's own batching).
  UnlearnReport report;
  std::string train_warning;
  const TrainBatching asked{job.integer("batch_size"), job.integer("grad_accum")};
  oom_fit(
      asked, device_, "training",
      [&](const TrainBatching& b) {
        const bool retry = !(b == asked);
        Job tried = job;
        tried.hparams["batch_size"] = b.micro_batch;
        tried.hparams["grad_accum"] = b.accum;
        if (retry) report_progress("unlearn at " + batching_text(b), 0.1);
        auto fresh = make_method(tried, model->config());  // a method may keep state between steps
        report = run_unlearning(model, *fresh, tried, tok, ds, *images_, forget, retain, on_epoch,
                                retry ? UnlearnContinuation{} : continuation, oracle ? *oracle : std::vector<double>{});
      },
      [&] {
        model->detach_adapters();  // the try's adapters, their gradients and AdamW state
        model->eval();
      },
      train_warning, log);
  if (!train_warning.empty()) warnings_.push_back(train_warning);
  // Promotion happens once per rung: the state resumed from is not needed again.
  if (!continuation.resume_path.empty()) std::filesystem::remove(continuation.resume_path);
  r.unlearn_seconds = seconds_since(unlearn_start);

  if (spec_.resources.save_adapters == "all") save_job_adapters(model, spec_, artifacts_, job.id);

  report_progress("eval", 0.75);
  const auto eval_start = std::chrono::steady_clock::now();
  EvalInputs inputs = scores_of(model, tok, sets, job.modality, "evaluation");
  calibration.apply(inputs);
  const EvalReport metrics = clear_metrics(inputs);
  r.metrics = metrics.scalars;
  // Last: relearning trains the job's adapters further.
  if (attacks()) {
    report_progress("attacks", 0.9);
    for (const auto& [name, value] : attacks_on(model, tok, sets.forget, uint64_t(job.seed), eval_fit_))
      r.metrics[name] = value;
  }
  r.eval_seconds = seconds_since(eval_start);

  r.vectors = metrics.vectors;
  r.vectors["gold_forget_truth_ratio"] = calibration.gold_truth_ratios;
  r.vectors["unlearn_epoch_loss"] = report.epoch_loss;
  if (job.rung >= 0) r.vectors["resumed_epochs"] = {double(report.resumed_epochs)};
  finish_record(r, reference);
  r.tokens = report.tokens;
  const GpuMemoryPeak gpu_peak = gpu_memory_peak(device_);
  r.gpu_name = card_.name;
  r.gpu_uuid = card_.uuid;
  r.peak_gpu_allocated_mb = gpu_peak.allocated_mb;
  r.peak_gpu_reserved_mb = gpu_peak.reserved_mb;
  r.tokens_per_second = double(report.tokens) / std::max(1e-9, r.unlearn_seconds);
  for (const auto& w : warnings_) r.warnings += (r.warnings.empty() ? "" : "; ") + w;
  return r;
}

}  // namespace clear_sweep
