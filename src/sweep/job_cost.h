// Cost estimates: so the scheduler hands out the longest work first (LPT order keeps
// every worker busy to the end of a sweep with uneven jobs), and so `plan` can price a
// sweep in GPU-hours at a measured step.
//
// Unit: one forward+backward pass over one item (a forward alone counts 1/3). The
// scheduler needs only the ordering and the ratios within one sweep, so job_cost() holds
// no machine constant: it counts evaluation as forward passes, a generated answer as one
// unit (its prompt's forward pass and its new tokens through the KV cache).
//
// On a GPU that is optimistic. Evaluation is mostly greedy generation, and a decoding
// step costs about the same wall time at batch 1 as at batch 64 (it is bound by memory
// and kernel launches, not FLOPs): a set's generation costs its batches x its new tokens
// x one step's time, whatever the prompts. So a job's evaluation is also described as
// work (EvalWork: sets, answers, scoring rows), and eval_seconds() prices it at a
// measured decoding step (`plan --decode-seconds`).
//
// The noop method sleeps, so its cost is its `seconds` (per epoch) x `epochs`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sweep/job.h"
#include "sweep/method_catalog.h"
#include "sweep/stage.h"
#include "sweep/sweep_spec.h"

namespace clear_sweep {

/// Text QA pairs per person: 20, as TOFU's authors and the synthetic worlds' persons
/// (data/synth_world.h: kQaPerPerson; sweep/ cannot include data/) have.
inline constexpr double kCostQaPerPerson = 20.0;
/// A name is short: face sets generate at most this many tokens (model_eval.cpp).
inline constexpr int64_t kFaceNameTokens = 16;
/// An MLLMU-Bench choice question is answered by one letter (model_eval.cpp).
inline constexpr int64_t kChoiceTokens = 4;
/// job_cost's price of one generated answer, in units: a prompt's forward (1/3) plus
/// its new tokens through the KV cache, counted as forward work. What decode steps cost
/// on a device is eval_seconds()'s business.
inline constexpr double kGeneratedAnswerUnits = 1.0;

/// One evaluation set as the evaluator scores it (eval/model_eval.cpp: evaluate_model,
/// score_set), for one model. Items are counted after the max_items cap. Each score_set
/// call decodes its own batches, so a set's batches never mix with another's.
struct EvalSetWork {
  std::string name;        ///< "forget", "retain_faces", "mllmu_forget choice", "quant8 forget", ...
  double items = 0;        ///< items scored (and, with new_tokens, answers generated: one each)
  double score_rows = 0;   ///< sequences scored by a forward pass: answer, paraphrase, wrong alternatives
  int64_t new_tokens = 0;  ///< greedy generation length (the cap; rows may end early); 0: not generated
};

/// What one evaluation runs: evaluate_model on a model, then the [eval] attacks on it.
struct EvalWork {
  std::vector<EvalSetWork> sets;
  double gradient_items = 0;      ///< GradNorm: a forward+backward at batch 1 per forget and holdout item
  double attack_train_items = 0;  ///< the relearn attack's finetuning: steps x rows per step

  /// Generated answers, every set.
  double answers() const;
  double score_rows() const;
  /// Decoding batches: each generated set in batches of at most `batch` prompts.
  double generation_batches(int64_t batch) const;
  /// Decoding steps: each batch runs its set's new_tokens steps.
  double decode_steps(int64_t batch) const;
  /// Scoring forwards, GradNorm and relearning, in units.
  double scoring_units() const;
  /// The whole evaluation in units, generation at kGeneratedAnswerUnits an answer.
  double units() const;
  /// Appends `other`'s sets (names prefixed) and counts.
  void add(const EvalWork& other, const std::string& prefix = {});
};

/// A job's cost, split: unlearning and its evaluation.
struct JobCost {
  double train = 0;  ///< units of unlearning (the noop method: its seconds)
  EvalWork eval;     ///< the unlearned model's evaluation (empty for noop)
  /// job_cost(): the scheduler's number.
  double total() const { return train + eval.units(); }
};

/// Estimated cost of unlearning and evaluating one job: job_cost_parts(...).total().
double job_cost(const SweepSpec& spec, const MethodInfo& method, const Job& job);
JobCost job_cost_parts(const SweepSpec& spec, const MethodInfo& method, const Job& job);

/// The evaluations a worker runs before its first job of a (forget fraction, modality,
/// max_items): the Original and the Gold model, each evaluated (and attacked) as a job
/// is (pipeline/vlm_runner.cpp, ensure_references). Each worker that runs such a job runs
/// them once. Empty for a method without a language model (faces, noop).
EvalWork reference_eval_work(const SweepSpec& spec, const MethodInfo& method, const Job& job);

/// Estimated cost of a finetune stage.
double stage_cost(const SweepSpec& spec, StageKind kind, double forget_fraction);

/// A measured device: what turns units and decoding steps into seconds (gpu_bench's
/// `train` and `generate` on the model's shape; plan --step-seconds, --decode-seconds).
struct DeviceTimes {
  double step_seconds = 0;    ///< one training step (forward+backward) of step_items items
  int64_t step_items = 4;     ///< gpu_bench's BATCH
  double decode_seconds = 0;  ///< one greedy decoding step of up to decode_batch rows; 0: not measured
  int64_t decode_batch = 64;  ///< the evaluator's ScoreOptions::generation_batch
  double unit_seconds() const { return step_seconds / double(step_items); }
};

/// Seconds of one evaluation.
struct EvalSeconds {
  double scoring = 0;     ///< scoring forwards (a third of a unit a row), GradNorm, relearning
  double generation = 0;  ///< each batch's prefill (a third of a unit a row) and decoding steps
  double total() const { return scoring + generation; }
};
/// With decode_seconds 0, generation is priced as forward passes (kGeneratedAnswerUnits
/// an answer), the optimistic way: then eval_seconds(w).total() = w.units() x unit_seconds.
EvalSeconds eval_seconds(const EvalWork& work, const DeviceTimes& device);

}  // namespace clear_sweep
