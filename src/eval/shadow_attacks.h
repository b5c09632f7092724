// U-MIA and U-LIRA: membership inference against unlearning with shadow models (Hayes
// et al., "Inexact unlearning needs more careful evaluations", as CLEAR's visual
// benchmark runs them). Many models are trained on random splits; in some, a sample was
// trained on and then unlearned ("in"), in others it was never trained on ("out"). Some
// models of each kind are shadows, whose scores the attacker learns from; the rest are
// targets, whose status the attacker guesses. A perfect unlearning leaves the attacker
// at chance: accuracy 0.5, AUC 0.5.
//
// A sample's score under a model is CLEAR's: the cosine of its embedding with its own
// identity's centroid, clipped to [0, 1], as a logit (similarity_logit). Torch-free.
#pragma once

#include <vector>

namespace clear_sweep {

/// log(p + 1e-45) - log(1 - p + 1e-45), p = clamp(cosine, 0, 1) (CLEAR's attack.py).
double similarity_logit(double cosine);

/// Median absolute deviation / 0.6745: a robust standard deviation (CLEAR's `rms`).
double robust_scale(std::vector<double> values);

/// One attacked sample: its scores under shadow models that had it ("in") and did not
/// ("out"), and under target models of each kind.
struct ShadowSample {
  std::vector<double> shadow_in, shadow_out;
  std::vector<double> target_in, target_out;
};

struct AttackResult {
  double accuracy = 0;  ///< share of target (sample, model) pairs whose status is guessed right (p > 0.5)
  double auc = 0;       ///< ROC AUC of the attacker's probability (its log-odds), "in" as the positive class
  long guesses = 0;     ///< target pairs guessed
};

/// U-LIRA: per sample, a Gaussian fitted to its in-scores and one to its out-scores
/// (centre: median; spread: robust_scale); a target score's probability of "in" is
/// N_in / (N_in + N_out). Computed from log densities, so that both densities
/// underflowing still gives their ratio (CLEAR's code returns 0 there). A spread of 0 is
/// floored at 1e-12.
AttackResult ulira(const std::vector<ShadowSample>& samples);

/// U-MIA: one logistic regression over every sample's shadow scores (in: 1, out: 0),
/// fitted as scikit-learn's LogisticRegression() is (L2 penalty on the weight, C = 1,
/// intercept free), then applied to every target score.
AttackResult umia(const std::vector<ShadowSample>& samples);

/// The U-MIA classifier: p(in | x) = sigmoid(weight x + bias).
struct LogisticFit {
  double weight = 0, bias = 0;
};
/// Newton's method on the penalised log-likelihood (to a gradient below 1e-10).
LogisticFit fit_logistic(const std::vector<double>& x, const std::vector<int>& y, double c = 1.0);
/// U-MIA's classifier: fit_logistic over every sample's shadow scores (in: 1, out: 0).
LogisticFit umia_fit(const std::vector<ShadowSample>& samples);

}  // namespace clear_sweep
