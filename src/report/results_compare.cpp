#include "report/results_compare.h"

#include <algorithm>
#include <map>

#include "common/number_format.h"
#include "report/leaderboard.h"
#include "store/metric_columns.h"

namespace clear_sweep {
namespace {

/// Successful rows by job id, merged as report merges them.
std::map<std::string, ResultRecord> ok_rows(const std::vector<std::string>& files) {
  std::map<std::string, ResultRecord> rows;
  for (auto& [id, entry] : merged_jobs(files))
    if (entry.first.status == RunStatus::ok) rows.emplace(id, std::move(entry.first));
  return rows;
}

double value_of(const ResultRecord& r, const std::string& metric) {
  const auto it = r.metrics.find(metric);
  return it == r.metrics.end() ? NAN : it->second;
}

std::string label_of(const ResultRecord& r) {
  return r.method + " " + r.modality + " " + format_number(r.forget_fraction) + "% seed" + std::to_string(r.seed) +
         (r.hparams.empty() ? "" : " " + r.hparams);
}

}  // namespace

bool ResultsComparison::differs() const {
  return std::any_of(metrics.begin(), metrics.end(), [](const auto& m) { return m.differing || m.missing; });
}

ResultsComparison compare_results(const std::vector<std::string>& ours, const std::string& theirs, double tolerance) {
  const auto a = ok_rows(ours), b = ok_rows({theirs});
  ResultsComparison c;
  c.tolerance = tolerance;
  for (const auto& [id, r] : a) (b.count(id) ? c.matched : c.only_ours) += 1;
  for (const auto& [id, r] : b) c.only_theirs += !a.count(id);
  for (const auto& column : metric_columns()) {
    MetricDifference d;
    d.metric = column.name;
    double sum = 0;
    for (const auto& [id, ra] : a) {
      const auto rb = b.find(id);
      if (rb == b.end()) continue;
      const double x = value_of(ra, column.name), y = value_of(rb->second, column.name);
      if (std::isnan(x) && std::isnan(y)) continue;
      if (std::isnan(x) != std::isnan(y)) {
        ++d.missing;
        continue;
      }
      ++d.compared;
      // Equal infinities (a log of a zero p-value in both) do not differ.
      const double diff = x == y ? 0.0 : std::fabs(x - y);
      sum += std::isfinite(diff) ? diff : 0.0;
      d.differing += diff > tolerance;
      if (diff > d.max_abs || (d.worst_job.empty() && diff > 0)) {
        d.max_abs = diff;
        d.worst_job = label_of(ra);
        d.worst_ours = x;
        d.worst_theirs = y;
      }
    }
    if (d.compared == 0 && d.missing == 0) continue;  // a column neither file measured
    d.mean_abs = d.compared ? sum / double(d.compared) : 0.0;
    c.metrics.push_back(std::move(d));
  }
  return c;
}

}  // namespace clear_sweep
