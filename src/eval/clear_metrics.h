// CLEAR's metrics from per-item numbers: Prob, truth ratio (TOFU's
// per-item form or CLEAR's pooled form), ROUGE-L, face recognition, forget quality (KS
// p-value against the gold model), model utility (harmonic mean), CLEAR's Real / Retain /
// Forget, and U-MIA. Torch-free: the model layer fills SetScores.
#pragma once

#include <limits>
#include <map>
#include <string>
#include <vector>

#include "data/schema.h"
#include "sweep/modality.h"
#include "sweep/sweep_spec.h"

namespace clear_sweep {

/// An answer's own tokens (the answer's, not its paraphrase's or alternatives'), in order.
struct TokenScores {
  std::vector<double> logprob;       ///< log p(token)
  std::vector<bool> correct;         ///< the argmax is the token
  std::vector<double> mean_logprob;  ///< E_{v ~ p}[log p(v)] at that position (Min-K%++)
  std::vector<double> var_logprob;   ///< Var_{v ~ p}[log p(v)]
};

/// What a model produced for one evaluation set, item by item. Losses are mean NLL per
/// answer token (image tokens excluded).
struct SetScores {
  std::vector<std::string> answers;  ///< each item's reference answer
  std::vector<TokenScores> answer_tokens;
  std::vector<double> answer_loss;
  std::vector<double> paraphrase_loss;               ///< NaN where an item has none
  std::vector<std::vector<double>> perturbed_loss;   ///< one per wrong alternative
  std::vector<std::string> references, generations;  ///< empty when not generated
  std::vector<double> grad_norm;                     ///< GradNorm per item; empty when not measured
  size_t size() const { return answer_loss.size(); }
};

/// Per-item truth ratio TR = exp(mean perturbed loss - paraphrase loss): above 1 the
/// model prefers the right answer. Option sets (no paraphrase) use the answer's loss.
/// `pooled` (CLEAR's code) averages the perturbed losses over the whole set instead.
/// Items without alternatives (or without a paraphrase, outside option sets) get NaN.
std::vector<double> truth_ratios(const SetScores& set, TruthRatioForm form, bool option_set);

/// mean(min(TR, 1/TR)) over the finite TRs: the forget sets' statistic.
double forget_truth_statistic(const std::vector<double>& trs);
/// mean(max(0, 1 - 1/TR)) over the finite TRs: every other set's.
double retain_truth_statistic(const std::vector<double>& trs);

/// mean exp(-answer loss).
double mean_prob(const SetScores& set);
/// mean p_true / (p_true + sum p_wrong), p = exp(-loss): option sets and face names.
double option_prob(const SetScores& set);
/// mean ROUGE-L recall of the generations against the references.
double mean_rouge_recall(const SetScores& set);
/// Share of generations that contain the reference (a name), ignoring case.
double name_accuracy(const SetScores& set);
/// Per item: 1 when the reference scores best (lowest loss) among it and the wrong
/// alternatives, else 0: face recognition as a multiple-choice question.
std::vector<double> option_correct(const SetScores& set);

/// Harmonic mean; 0 if any value is 0 (as scipy.stats.hmean); NaN if empty or any NaN.
double harmonic_mean(const std::vector<double>& values);

/// ROC AUC of a loss-threshold membership attack: the chance that a random member
/// (forget item) has a lower loss than a random non-member (holdout item), ties half.
/// 0.5 is ideal after unlearning: the forget set looks never trained on.
double umia_auc(const std::vector<double>& member_losses, const std::vector<double>& nonmember_losses);

/// An MLLMU-Bench set: each item's greedy answer with its task and Type.
struct MllmuSetScores {
  SetScores scores;
  std::vector<MllmuTask> tasks;
  std::vector<bool> with_image;  ///< Type Image_Textual
};

/// Every set a job scores.
struct EvalInputs {
  SetScores forget, retain;                             ///< person QA / caption items
  SetScores forget_faces, retain_faces, holdout_faces;  ///< face recognition
  SetScores real_faces, real_world;                     ///< option QA (TOFU: world facts, generated too)
  SetScores real_authors;                               ///< TOFU's real authors (option QA, generated)
  SetScores holdout;                                    ///< holdout persons' items (U-MIA)
  std::vector<double> gold_forget_truth_ratios;         ///< the gold model's forget TRs
  /// The Original model's answer losses on the same forget and holdout items: the
  /// Reference attack's calibration (empty: that attack is NaN).
  std::vector<double> reference_forget_loss, reference_holdout_loss;
  double gold_mink_auc = std::numeric_limits<double>::quiet_NaN();  ///< privleak's reference
  Modality modality = Modality::both;
  /// A text-only language model: asked no face and no image, so the harmonic means leave
  /// out the face terms and any real set it could not be asked (empty here).
  bool text_only = false;
  TruthRatioForm truth_ratio = TruthRatioForm::per_item;
  /// TOFU's benchmark: CLEAR's person sets, and its real authors and world facts scored
  /// as TOFU scores them (the tofu_* columns, model_utility its harmonic mean of nine).
  bool tofu = false;
  /// MLLMU-Bench's benchmark: its four sets instead of CLEAR's (eval/mllmu_metrics.h).
  bool mllmu = false;
  MllmuSetScores mllmu_forget, mllmu_test, mllmu_retain, mllmu_celebrity;
};

/// The scalars of store/metric_columns (by those names) and the per-item vectors.
struct EvalReport {
  std::map<std::string, double> scalars;
  std::map<std::string, std::vector<double>> vectors;
};

/// What an attack's result is scored by (unlearn/robustness_attacks.h), by metric name:
/// forget_prob, forget_rouge, forget_truth_ratio and forget_exact_memorization of one
/// forget set, as clear_metrics computes them.
std::map<std::string, double> forget_attack_metrics(const SetScores& forget, TruthRatioForm form);

/// Every column of metric_columns: CLEAR's for CLEAR's sets, MLLMU-Bench's and TOFU's for
/// theirs; the other benchmarks' columns are NaN, and so are the attack_* columns (the
/// attacks fill them).
EvalReport clear_metrics(const EvalInputs& inputs);

}  // namespace clear_sweep
