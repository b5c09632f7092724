// The two-sample Kolmogorov-Smirnov test as scipy.stats.ks_2samp computes it (two-sided,
// method "auto"): the statistic from the two empirical CDFs (ties handled by
// right-sided search), then the exact p-value for samples up to 10,000 (Hodges' inside
// method in Viehmann's 1 - p form; a closed series when the sizes are equal). Forget
// quality is this p-value between the unlearned and the gold model's truth ratios.
#pragma once

#include <vector>

namespace clear_sweep {

struct KsResult {
  double statistic = 0;
  double pvalue = 1;
  bool exact = true;  ///< false: the asymptotic distribution was used
};

/// Throws std::invalid_argument for an empty sample (scipy raises ValueError).
KsResult ks_2samp(std::vector<double> a, std::vector<double> b);

}  // namespace clear_sweep
