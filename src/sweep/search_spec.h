// [search] of a sweep file (README: "Searching instead of crossing"): hyperparameters sampled from
// distributions instead of crossed, a budget of trials per cell of the grid, an
// objective, and optionally asynchronous successive halving over unlearning epochs.
// Plain data, validated by sweep_parse; src/search/ samples and schedules from it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "sweep/hparam.h"

namespace clear_sweep {

enum class DistributionKind { uniform, log_uniform, integer, choice };

/// Where one hyperparameter's trial values come from.
struct Distribution {
  DistributionKind kind = DistributionKind::uniform;
  HParamType type = HParamType::real;  ///< of the hyperparameter it samples
  double low = 0, high = 0;            ///< uniform, log_uniform, integer (both ends included)
  std::vector<HParamValue> choices;    ///< choice
  SourceLocation where;

  /// The value at u in [0, 1): the inverse CDF, so samplers only make uniforms.
  HParamValue at(double u) const;
  /// Distinct values it can take; 0 when continuous.
  double cardinality() const;
  std::string text() const;  ///< "log_uniform(1e-05, 0.01)"
};

const char* distribution_kind_name(DistributionKind kind);

enum class SamplerKind { random, sobol };

/// A bound on a second metric: trials that break it rank below every trial that keeps it.
struct SearchConstraint {
  std::string metric;
  std::optional<double> min, max;
  /// "" (the bound is absolute), "original" or "gold": the bound is a multiple of that
  /// reference row's value of the metric, e.g. model_utility >= 0.95 x the Original's.
  std::string relative_to;
};

struct SearchObjective {
  std::string metric = "log_forget_quality";  ///< a column of metric_columns()
  bool maximize = true;
  std::optional<SearchConstraint> constraint;
};

/// Asynchronous successive halving (Li et al. 2020) with unlearning epochs as the
/// resource. Bracket s has rungs at min_epochs x eta^(s+k) epochs, below max_epochs,
/// and a last rung at max_epochs; trials are dealt to brackets in turn.
struct AshaSpec {
  int64_t min_epochs = 1;
  int64_t max_epochs = 9;
  int64_t eta = 3;
  int64_t brackets = 1;

  /// The rungs' epochs of bracket `bracket`, rising, the last one max_epochs.
  std::vector<int64_t> rungs(int64_t bracket) const;
};

struct SearchSpec {
  SamplerKind sampler = SamplerKind::random;
  int64_t seed = 0;
  int64_t trials = 16;  ///< per cell: method x modality x forget fraction x seed (x grid axes)
  SearchObjective objective;
  std::optional<AshaSpec> asha;
  /// Items per evaluation set at the rungs below the last (the cheap evaluation that
  /// ranks trials); the last rung is evaluated with [eval] in full.
  int64_t rung_max_items = 64;
  /// [search.space]: applies to every method that declares the hyperparameter.
  std::map<std::string, Distribution> shared_space;
  /// [search.space.METHOD]: that method only; replaces a shared one of the same name.
  std::map<std::string, std::map<std::string, Distribution>> method_space;

  /// The distributions `method` samples, by name.
  std::map<std::string, Distribution> space_of(const std::string& method) const;
};

}  // namespace clear_sweep
