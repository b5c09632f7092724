// `report --compare OTHER.h5`: how a run's numbers differ from another run of the same
// sweep (another machine, another libtorch, a rerun), job by job. Job ids are content
// hashes of the job's definition, so the same job has the same id in both files. A run
// is deterministic on one machine; across CPUs and libraries floating-point order
// differs, and this says by how much, per metric.
#pragma once

#include <cmath>
#include <string>
#include <vector>

namespace clear_sweep {

/// One metric over the jobs both files hold (successful in both).
struct MetricDifference {
  std::string metric;
  size_t compared = 0;   ///< jobs where both files have a value
  size_t differing = 0;  ///< of those, |ours - theirs| > tolerance
  size_t missing = 0;    ///< jobs where only one file has a value
  double mean_abs = 0, max_abs = 0;
  std::string worst_job;  ///< the job of max_abs: "method modality fraction% seed hparams"
  double worst_ours = NAN, worst_theirs = NAN;
};

struct ResultsComparison {
  size_t matched = 0;      ///< job ids in both, successful in both
  size_t only_ours = 0;    ///< successful jobs only in ours (or failed in theirs)
  size_t only_theirs = 0;  ///< the other way round
  double tolerance = 0;
  std::vector<MetricDifference> metrics;  ///< every metric column with a value in either
  /// Any metric differs beyond the tolerance, or is missing on one side.
  bool differs() const;
};

/// Compares `ours` (merged by job id, as report merges them) with `theirs`. Throws
/// clear_sweep::Error naming a file that cannot be read.
ResultsComparison compare_results(const std::vector<std::string>& ours, const std::string& theirs, double tolerance);

}  // namespace clear_sweep
