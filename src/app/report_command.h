// `clear-sweep report results/*.h5`: the leaderboard (report/leaderboard.h has the
// merging, the seed averages and the best-setting rule) printed with CLEAR's columns.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace clear_sweep {

struct ReportOptions {
  std::vector<std::string> inputs;
  std::string format = "table";  ///< table | md | csv | html (a whole self-contained page)
  /// Write the report here instead of stdout (renamed into place when whole). Replaces
  /// only a page that report wrote before.
  std::string out_path;
  /// Another results file of the same sweep: add per-metric differences, job by job.
  std::string compare_with;
  /// With compare_with: a difference above this counts, and makes the exit code 1.
  /// < 0: unset (differences are shown, the exit code stays 0).
  double tolerance = -1;
  /// Row grouping, any of method, modality, forget_fraction (in the order given).
  std::vector<std::string> by = {"method", "modality", "forget_fraction"};
  bool all_settings = false;  ///< every hyperparameter setting, not only each method's best
  /// With adapters_out: copy the shown settings' adapters (every seed) from
  /// adapters_from (a run's <artifacts>/adapters, [resources] save_adapters = "all") into
  /// adapters_out/<fraction>-<modality>-<method>/<job id>; nothing there is overwritten.
  std::string adapters_from = "results/artifacts/adapters";
  std::string adapters_out;
};

int report_command(const ReportOptions& options, std::ostream& out);

}  // namespace clear_sweep
