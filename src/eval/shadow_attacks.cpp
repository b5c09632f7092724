#include "eval/shadow_attacks.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "eval/membership_inference.h"

namespace clear_sweep {
namespace {

double median(std::vector<double> v) {
  CS_ASSERT(!v.empty(), "median of nothing");
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double log_normal_pdf(double x, double mean, double sd) {
  const double z = (x - mean) / sd;
  return -0.5 * z * z - std::log(sd) - 0.5 * std::log(2 * M_PI);
}

double sigmoid(double z) { return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z)); }

// Scores the attacker's log-odds of "in" for the target pairs. Log-odds rather than
// probabilities: the AUC is the same, and they do not saturate at 1, which would turn
// distinct scores into ties.
AttackResult summarise(const std::vector<double>& p_in, const std::vector<double>& p_out) {
  AttackResult r;
  r.guesses = long(p_in.size() + p_out.size());
  long right = 0;
  for (double z : p_in) right += z > 0;
  for (double z : p_out) right += !(z > 0);
  r.accuracy = r.guesses ? double(right) / double(r.guesses) : std::nan("");
  // membership_auc's positive class is its second argument.
  r.auc = membership_auc(p_out, p_in);
  return r;
}

}  // namespace

double similarity_logit(double cosine) {
  const double p = std::clamp(cosine, 0.0, 1.0);
  return std::log(p + 1e-45) - std::log(1 - p + 1e-45);
}

double robust_scale(std::vector<double> values) {
  const double m = median(values);
  for (auto& v : values) v = std::fabs(v - m);
  return median(std::move(values)) / 0.6745;
}

AttackResult ulira(const std::vector<ShadowSample>& samples) {
  std::vector<double> p_in, p_out;
  for (const auto& s : samples) {
    CS_ASSERT(!s.shadow_in.empty() && !s.shadow_out.empty(), "U-LIRA needs in and out shadow scores per sample");
    const double in_mean = median(s.shadow_in), in_sd = std::max(robust_scale(s.shadow_in), 1e-12);
    const double out_mean = median(s.shadow_out), out_sd = std::max(robust_scale(s.shadow_out), 1e-12);
    auto p = [&](double x) { return log_normal_pdf(x, in_mean, in_sd) - log_normal_pdf(x, out_mean, out_sd); };
    for (double x : s.target_in) p_in.push_back(p(x));
    for (double x : s.target_out) p_out.push_back(p(x));
  }
  return summarise(p_in, p_out);
}

LogisticFit fit_logistic(const std::vector<double>& x, const std::vector<int>& y, double c) {
  CS_ASSERT(x.size() == y.size() && !x.empty(), "logistic regression needs labelled points");
  // Minimise 0.5 w^2 + c * sum logloss(sigmoid(w x + b), y): two parameters, Newton
  // steps, halved while they raise the objective (scores reach +-103 where a cosine is
  // clipped, and a full step from there can overshoot).
  auto objective = [&](double w, double b) {
    double f = 0.5 * w * w;
    for (size_t i = 0; i < x.size(); ++i) {
      const double z = w * x[i] + b;  // logloss = log(1 + e^z) - y z, computed stably
      f += c * ((z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z))) - y[i] * z);
    }
    return f;
  };
  double w = 0, b = 0, f = objective(w, b);
  for (int iter = 0; iter < 200; ++iter) {
    double gw = w, gb = 0, hww = 1, hwb = 0, hbb = 1e-12;
    for (size_t i = 0; i < x.size(); ++i) {
      const double p = sigmoid(w * x[i] + b), r = p - y[i], v = p * (1 - p);
      gw += c * r * x[i];
      gb += c * r;
      hww += c * v * x[i] * x[i];
      hwb += c * v * x[i];
      hbb += c * v;
    }
    if (std::fabs(gw) < 1e-10 && std::fabs(gb) < 1e-10) break;
    const double det = hww * hbb - hwb * hwb;
    const double dw = (hbb * gw - hwb * gb) / det, db = (hww * gb - hwb * gw) / det;
    double step = 1;
    while (step > 1e-12 && !(objective(w - step * dw, b - step * db) <= f)) step /= 2;
    if (step <= 1e-12) break;
    w -= step * dw, b -= step * db;
    f = objective(w, b);
  }
  return {w, b};
}

LogisticFit umia_fit(const std::vector<ShadowSample>& samples) {
  std::vector<double> x;
  std::vector<int> y;
  for (const auto& s : samples) {
    for (double v : s.shadow_in) x.push_back(v), y.push_back(1);
    for (double v : s.shadow_out) x.push_back(v), y.push_back(0);
  }
  return fit_logistic(x, y);
}

AttackResult umia(const std::vector<ShadowSample>& samples) {
  const LogisticFit fit = umia_fit(samples);
  std::vector<double> p_in, p_out;
  for (const auto& s : samples) {
    for (double v : s.target_in) p_in.push_back(fit.weight * v + fit.bias);
    for (double v : s.target_out) p_out.push_back(fit.weight * v + fit.bias);
  }
  return summarise(p_in, p_out);
}

}  // namespace clear_sweep
