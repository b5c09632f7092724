// Forget quality by the Jensen-Shannon divergence, beside the KS test's: how far the
// unlearned model's forget-set truth ratios are distributed from the gold model's,
// compared as histograms (numpy.histogram's binning, scipy's jensenshannon).
#pragma once

#include <vector>

namespace clear_sweep {

/// Counts of `values` in `bins` equal bins over [lo, hi], the last bin closed, as
/// numpy.histogram(values, bins, range=(lo, hi)) counts them.
std::vector<double> histogram(const std::vector<double>& values, int bins, double lo, double hi);

/// The Jensen-Shannon divergence, base 2 (in [0, 1]), of two samples' histograms over
/// `bins` equal bins spanning both samples: scipy.spatial.distance.jensenshannon(p, q,
/// base=2) squared. 0 when the samples are empty or all equal.
double jensen_shannon_divergence(const std::vector<double>& a, const std::vector<double>& b, int bins = 20);

/// 1 - JSD of the log truth ratios (forget set: this model against the gold model), over
/// 20 bins; 1 is indistinguishable. Non-finite or non-positive ratios are left out; NaN
/// when either side has none.
double js_forget_quality(const std::vector<double>& truth_ratios, const std::vector<double>& gold_truth_ratios);

}  // namespace clear_sweep
