// `clear-sweep report results/*.h5`: the leaderboard. Result files are merged (one row
// per job id, as `merge` keeps them), seeds are averaged (mean and standard deviation),
// each method's best hyperparameters are picked by a fixed rule, and CLEAR's columns are
// shown with the Original (before unlearning) and Gold (trained without the forget set)
// reference rows that every job record carries.
//
// The rule: among a method's settings whose model utility is at least 95 % of the
// original model's, the one with the highest forget quality (ties: higher utility); if
// no setting keeps 95 %, the one with the highest utility.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace clear_sweep {

struct ReportOptions {
  std::vector<std::string> inputs;
  std::string format = "table";  ///< table | md | csv | html
  /// Row grouping, any of method, modality, forget_fraction (in the order given).
  std::vector<std::string> by = {"method", "modality", "forget_fraction"};
  bool all_settings = false;  ///< every hyperparameter setting, not only each method's best
};

int report_command(const ReportOptions& options, std::ostream& out);

}  // namespace clear_sweep
