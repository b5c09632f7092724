// What a search did (README: "Searching instead of crossing"), read back from its results file: per method
// (and modality and forget fraction) the best trial that reached its top rung with its
// history up the rungs, and per rung how many trials it evaluated and stopped.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "store/results_store.h"

namespace clear_sweep {

struct TrialRung {
  int32_t rung = 0;
  std::string epochs;  ///< as stored in its hparams ("" without successive halving)
  double objective = 0;
  bool ok = true;
  bool capped_eval = false;
};

struct BestTrial {
  std::string method, modality;
  double forget_fraction = 0;
  int64_t seed = 0;
  std::string trial_id, hparams;   ///< hparams of its top rung
  double constraint_margin = 0;    ///< NaN without a constraint
  std::vector<TrialRung> history;  ///< rung by rung
};

/// One rung's resource over every cell and bracket: the trials evaluated there, how many
/// of them went on to a higher rung (the others stopped there), and how many failed.
struct RungCount {
  int64_t epochs = 0;  ///< 0 without successive halving (each trial its own epochs)
  bool top = false;    ///< a bracket's last rung
  size_t evaluated = 0, promoted = 0, failed = 0;
};

struct SearchSummary {
  std::string objective;  ///< "maximize log_forget_quality subject to ..."
  int64_t trials = 0, trials_budget = 0;
  bool complete = false;
  bool halving = false;  ///< [search.asha]: rungs have epochs
  std::vector<RungCount> rungs;
  std::vector<BestTrial> best;  ///< per method, modality and forget fraction (and seed)
};

/// nullopt when the file's sweep has no [search]. Throws naming the file it cannot read.
std::optional<SearchSummary> search_summary(const std::string& results_path);
/// The same from a snapshot already read of `results_path` (status reads one anyway).
std::optional<SearchSummary> search_summary(const ResultsSnapshot& snapshot, const std::string& results_path);

void print_search_summary(const SearchSummary& summary, std::ostream& out);

}  // namespace clear_sweep
