#include "eval/jensen_shannon.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace clear_sweep {

std::vector<double> histogram(const std::vector<double>& values, int bins, double lo, double hi) {
  std::vector<double> counts(size_t(bins), 0.0);
  if (lo == hi) {  // numpy widens a zero range by half a unit each side
    lo -= 0.5;
    hi += 0.5;
  }
  // numpy: edges from linspace, an index from the scaled value, then corrected against
  // the edges so that floating-point rounding never puts a value in a neighbour's bin.
  std::vector<double> edges(size_t(bins) + 1);
  const double step = (hi - lo) / double(bins);
  for (int i = 0; i <= bins; ++i) edges[size_t(i)] = lo + double(i) * step;
  edges.back() = hi;
  const double norm = double(bins) / (hi - lo);
  for (double x : values) {
    if (!(x >= lo && x <= hi)) continue;
    long index = long((x - lo) * norm);
    if (index == bins) --index;
    if (x < edges[size_t(index)])
      --index;
    else if (index + 1 < bins && x >= edges[size_t(index) + 1])
      ++index;
    counts[size_t(index)] += 1;
  }
  return counts;
}

double jensen_shannon_divergence(const std::vector<double>& a, const std::vector<double>& b, int bins) {
  if (a.empty() || b.empty()) return 0.0;
  const auto [a_lo, a_hi] = std::minmax_element(a.begin(), a.end());
  const auto [b_lo, b_hi] = std::minmax_element(b.begin(), b.end());
  const double lo = std::min(*a_lo, *b_lo), hi = std::max(*a_hi, *b_hi);
  const std::vector<double> p = histogram(a, bins, lo, hi), q = histogram(b, bins, lo, hi);
  double jsd = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const double pi = p[i] / double(a.size()), qi = q[i] / double(b.size()), m = (pi + qi) / 2;
    if (pi > 0) jsd += 0.5 * pi * std::log2(pi / m);
    if (qi > 0) jsd += 0.5 * qi * std::log2(qi / m);
  }
  return std::max(0.0, jsd);
}

double js_forget_quality(const std::vector<double>& truth_ratios, const std::vector<double>& gold_truth_ratios) {
  auto logs = [](const std::vector<double>& trs) {
    std::vector<double> out;
    for (double tr : trs)
      if (std::isfinite(tr) && tr > 0) out.push_back(std::log(tr));
    return out;
  };
  const auto mine = logs(truth_ratios), gold = logs(gold_truth_ratios);
  if (mine.empty() || gold.empty()) return std::numeric_limits<double>::quiet_NaN();
  return 1.0 - jensen_shannon_divergence(mine, gold, 20);
}

}  // namespace clear_sweep
