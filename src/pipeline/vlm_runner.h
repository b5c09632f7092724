// The worker pipeline for VLM sweeps (CLEAR, MLLMU-Bench). On its first task a worker
// loads the dataset and, once the base stage exists, the base model, and keeps them.
// Each job attaches fresh LoRA adapters to the shared base, unlearns with its method,
// modality, hyperparameters, forget fraction and seed, evaluates every set, compares
// the forget truth ratios with the gold model of its fraction (computed once per
// fraction and modality, then reused), and returns one record with every metric,
// per-item vectors, timings, tokens and peak memory. Unlearning and each evaluation
// that run out of GPU memory are retried with smaller batches (unlearn/oom_retry.h),
// separately, so an evaluation that runs out does not train again; the row's warnings
// say so.
#pragma once

#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "eval/model_eval.h"
#include "model/checkpoint.h"
#include "model/gpu_info.h"
#include "model/model_inputs.h"
#include "pipeline/runner_base.h"
#include "unlearn/oom_retry.h"

namespace clear_sweep {

class VlmRunner : public RunnerBase {
 public:
  VlmRunner(SweepSpec spec, std::vector<Stage> stages, std::string artifacts, DeviceBinding binding);

 private:
  void run_model_stage(const Stage& stage) override;
  ResultRecord run_model_job(const Job& job) override;

  /// What every job's metrics compare with, by fraction/modality/cap: the gold model's
  /// forget truth ratios (forget quality) and Min-K% AUC (privleak), the Original's
  /// forget and holdout losses (the Reference attack).
  struct Calibration {
    std::vector<double> gold_truth_ratios, original_forget_loss, original_holdout_loss;
    double gold_mink_auc = std::numeric_limits<double>::quiet_NaN();
    void apply(EvalInputs& in) const;
  };
  /// A search rung evaluates on fewer items: its references are measured on the same.
  static std::string key(double fraction, Modality modality, int64_t max_items);

  /// Loads what every job shares, once. Returns the seconds it took (0 when loaded).
  double ensure_loaded();
  /// Per key() once: the gold model's forget truth ratios (forget quality compares with
  /// them) and the Original and Gold reference rows, measured on the job's `sets`.
  void ensure_references(const std::string& key, double fraction, const EvalSets& sets, Modality modality);
  ScoreOptions score_options(const EvalBatching& batching) const;
  /// What `model` scores on a job's evaluation sets, with smaller batches after running
  /// out of memory (`what` names the evaluation in the warning the job's row gets).
  /// Sets eval_fit_ to the batching that fitted.
  EvalInputs scores_of(Vlm& model, const Tokenizer& tok, const EvalSets& sets, Modality modality,
                       const std::string& what);
  bool attacks() const { return !spec_.eval.attacks.names.empty(); }
  /// [eval] attacks on `model` as it is: the attack_* columns. Relearning gives a model
  /// without adapters (the Original, the Gold) fresh ones of the catalog's default LoRA.
  /// Scored at `batching` (what the model's evaluation fitted in).
  std::map<std::string, double> attacks_on(Vlm& model, const Tokenizer& tok, const std::vector<ItemRef>& forget,
                                           uint64_t seed, const EvalBatching& batching);

  GpuCard card_;  ///< the rank's GPU (empty on the CPU), named in every row
  LoadedModel base_;
  std::unique_ptr<ImageTensors> images_;
  std::map<std::string, Calibration> calibration_;
  std::map<std::string, ReferenceRows> references_;  ///< by key()
  /// The gold model's log-probabilities of each forget item, by fraction/modality: the
  /// oracle reference of npo with gold_reference (computed once; the gold never changes).
  std::map<std::string, std::vector<double>> gold_forget_logprobs_;
  /// The running job's warnings (out-of-memory retries), for its row.
  std::vector<std::string> warnings_;
  EvalBatching eval_fit_;  ///< the batching the last evaluation fitted in
};

}  // namespace clear_sweep
