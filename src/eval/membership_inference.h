// Membership inference against the forget set (members) and the holdout set (never
// trained on), as open-unlearning runs its attacks: each item gets a score, higher for
// a likely non-member, and the attack's quality is the ROC AUC of the scores with
// holdout as the positive class (scikit-learn's roc_auc_score). An AUC near 1 means the
// forget set is still recognisable as trained on; a model never trained on it sits near
// 0.5. privleak compares an AUC with the gold model's.
#pragma once

#include <string>
#include <vector>

#include "eval/clear_metrics.h"

namespace clear_sweep {

/// The share of an answer's lowest log-probabilities Min-K% and Min-K%++ average
/// (open-unlearning's setting for TOFU).
inline constexpr double kMinKFraction = 0.4;

/// LOSS: the answer's mean token NLL (its loss).
/// ZLib: the loss over the zlib-compressed length in bytes of the answer's text (UTF-8,
/// zlib's default level, as Python's zlib.compress).
double zlib_score(double loss, const std::string& answer);
/// Min-K%: minus the mean of the answer's lowest max(1, floor(n k)) token log-probs.
double min_k_score(const TokenScores& answer, double k = kMinKFraction);
/// Min-K%++: the same over (log p - mu) / sigma, mu and sigma^2 the mean and variance
/// of log p under the model's distribution at that position (sigma^2 floored at 1e-6).
double min_k_plus_plus_score(const TokenScores& answer, double k = kMinKFraction);

/// ROC AUC of `nonmember` against `member` scores: the chance that a random non-member
/// scores above a random member, ties counting half. NaN scores are left out; NaN if
/// either side has none.
double membership_auc(const std::vector<double>& member, const std::vector<double>& nonmember);

/// privleak (open-unlearning): ((1 - auc) - (1 - gold_auc)) / (1 - gold_auc) x 100. 0 is
/// the gold model's privacy; -100 a forget set as recognisable as can be.
double privleak(double auc, double gold_auc);

}  // namespace clear_sweep
