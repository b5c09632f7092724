#include "eval/ks_test.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace clear_sweep {
namespace {

/// Pr(D_{n,n} >= h / n): paths outside the lines x - y = +-h, as an alternating series
/// evaluated Horner-style to avoid cancellation.
double prob_outside_square(int64_t n, int64_t h) {
  double p = 0.0;
  for (int64_t k = n / h; k >= 0; --k) {
    double p1 = 1.0;
    for (int64_t j = 0; j < h; ++j) p1 = double(n - k * h - j) * p1 / double(n + k * h + j + 1);
    p = p1 * (1.0 - p);
  }
  return 2 * p;
}

/// 1 - Pr(paths from (0,0) to (m,n) stay strictly inside |x/m - y/n| < h / lcm):
/// Hodges' inside method, with Viehmann's recursion computing the complement directly.
double outer_prob_inside_method(int64_t m, int64_t n, int64_t g, int64_t h) {
  if (m < n) std::swap(m, n);
  const int64_t mg = m / g, ng = n / g;
  int64_t minj = 0, maxj = std::min<int64_t>(int64_t(std::ceil(double(h) / double(mg))), n + 1);
  int64_t curlen = maxj - minj;
  const int64_t len = std::min(2 * maxj + 2, n + 1);
  std::vector<double> a(size_t(len), 1.0);
  std::fill(a.begin() + minj, a.begin() + maxj, 0.0);
  for (int64_t i = 1; i <= m; ++i) {
    const int64_t lastminj = minj, lastlen = curlen;
    minj = std::max<int64_t>(int64_t(std::floor(double(ng * i - h) / double(mg))) + 1, 0);
    minj = std::min(minj, n);
    maxj = std::min<int64_t>(int64_t(std::ceil(double(ng * i + h) / double(mg))), n + 1);
    if (maxj <= minj) return 1.0;
    double val = minj == 0 ? 0.0 : 1.0;
    for (int64_t jj = 0; jj < maxj - minj; ++jj) {
      const int64_t j = jj + minj;
      val = (a[size_t(jj + minj - lastminj)] * double(i) + val * double(j)) / double(i + j);
      a[size_t(jj)] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen)
      std::fill(a.begin() + (maxj - minj), a.begin() + std::min<int64_t>(len, maxj - minj + (lastlen - curlen)), 1.0);
  }
  return a[size_t(maxj - minj - 1)];
}

/// Kolmogorov's limiting distribution, Pr(sqrt(n) D > x) = 2 sum (-1)^(k-1) exp(-2 k^2 x^2).
/// Only for samples above 10,000 (scipy uses its finite-n kstwo there; the two agree
/// to a few 1e-4 at such sizes).
double kolmogorov_sf(double x) {
  if (x <= 0) return 1.0;
  double sum = 0;
  for (int k = 1; k <= 100; ++k) {
    const double term = std::exp(-2.0 * k * k * x * x);
    sum += (k % 2 ? 1 : -1) * term;
    if (term < 1e-17) break;
  }
  return std::clamp(2 * sum, 0.0, 1.0);
}

}  // namespace

KsResult ks_2samp(std::vector<double> a, std::vector<double> b) {
  if (a.empty() || b.empty()) throw std::invalid_argument("ks_2samp: a sample is empty");
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const int64_t n1 = int64_t(a.size()), n2 = int64_t(b.size());
  // The CDF difference at every data point (right-continuous: ties count as passed).
  double max_s = -INFINITY, min_s = INFINITY;
  auto at = [&](double x) {
    const double c1 = double(std::upper_bound(a.begin(), a.end(), x) - a.begin()) / double(n1);
    const double c2 = double(std::upper_bound(b.begin(), b.end(), x) - b.begin()) / double(n2);
    max_s = std::max(max_s, c1 - c2);
    min_s = std::min(min_s, c1 - c2);
  };
  for (double x : a) at(x);
  for (double x : b) at(x);
  const double neg = std::clamp(-min_s, 0.0, 1.0);
  double d = neg > max_s ? neg : max_s;

  KsResult r;
  const int64_t g = std::gcd(n1, n2);
  if (std::max(n1, n2) <= 10000) {
    const int64_t lcm = (n1 / g) * n2;
    const int64_t h = int64_t(std::nearbyint(d * double(lcm)));  // numpy rounds half to even
    d = double(h) / double(lcm);
    double p = 1.0;
    if (h != 0) p = n1 == n2 ? prob_outside_square(n1, h) : outer_prob_inside_method(n1, n2, g, h);
    if (std::isfinite(p) && p >= 0 && p <= 1) {
      r.statistic = d;
      r.pvalue = p;
      return r;
    }
  }
  const double m = double(std::max(n1, n2)), n = double(std::min(n1, n2));
  const double en = std::nearbyint(m * n / (m + n));
  r.statistic = d;
  r.pvalue = kolmogorov_sf(std::sqrt(en) * d);
  r.exact = false;
  return r;
}

}  // namespace clear_sweep
