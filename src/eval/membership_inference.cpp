#include "eval/membership_inference.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace clear_sweep {
namespace {

/// Minus the mean of the lowest max(1, floor(n k)) values.
double minus_low_mean(std::vector<double> values, double k) {
  if (values.empty()) return 0.0;  // as open-unlearning scores an empty answer
  const size_t count = std::max<size_t>(1, size_t(double(values.size()) * k));
  std::partial_sort(values.begin(), values.begin() + long(count), values.end());
  double sum = 0;
  for (size_t i = 0; i < count; ++i) sum += values[i];
  return -sum / double(count);
}

}  // namespace

double zlib_score(double loss, const std::string& answer) {
  uLongf size = compressBound(uLong(answer.size()));
  std::vector<Bytef> out(size);
  compress2(out.data(), &size, reinterpret_cast<const Bytef*>(answer.data()), uLong(answer.size()),
            Z_DEFAULT_COMPRESSION);
  return loss / double(std::max<uLongf>(size, 1));
}

double min_k_score(const TokenScores& answer, double k) { return minus_low_mean(answer.logprob, k); }

double min_k_plus_plus_score(const TokenScores& answer, double k) {
  std::vector<double> z;
  for (size_t i = 0; i < answer.logprob.size(); ++i)
    z.push_back((answer.logprob[i] - answer.mean_logprob[i]) / std::sqrt(std::max(answer.var_logprob[i], 1e-6)));
  return minus_low_mean(std::move(z), k);
}

double membership_auc(const std::vector<double>& member, const std::vector<double>& nonmember) {
  auto known = [](const std::vector<double>& v) {
    std::vector<double> out;
    for (double x : v)
      if (!std::isnan(x)) out.push_back(x);
    return out;
  };
  // umia_auc counts how often a member's value is below a non-member's: the same AUC.
  return umia_auc(known(member), known(nonmember));
}

double privleak(double auc, double gold_auc) {
  const double ref = 1.0 - gold_auc;
  return ((1.0 - auc) - ref) / (ref + 1e-10) * 100.0;
}

}  // namespace clear_sweep
