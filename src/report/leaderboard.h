// The leaderboard of one or more results files. Files are merged (one row per job id,
// as `merge` keeps them), each hyperparameter setting is averaged over its seeds (mean
// and standard deviation), and each method keeps its best setting by a fixed rule.
// Every job record carries the Original (before unlearning) and Gold (trained without
// the forget set) reference rows of its forget fraction and modality; they head each
// group.
//
// The rule: among a method's settings whose model utility is at least 95 % of the
// original model's, the one with the highest forget quality (ties: higher utility); if
// no setting keeps 95 %, the one with the highest utility, marked as a fallback.
// MLLMU-Bench results (rows with its columns) form groups of their own, with the same
// rule on its numbers: utility is the mean of the retain and celebrity sets'
// classification, cloze and ROUGE-L (both Types), and the best setting is the one that
// forgets most, the lowest mean of the same on the forget set. So do the visual
// benchmark's ("faces"): utility is the retain accuracy, and the best setting has the
// lowest forget accuracy.
#pragma once

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "store/result_record.h"

namespace clear_sweep {

/// The share of the Original model's utility a setting must keep to compete on forget
/// quality.
inline constexpr double kUtilityKept = 0.95;

/// Mean and sample standard deviation over seeds (sd is NaN for one value).
struct Stat {
  double mean = NAN, sd = NAN;
  size_t n = 0;
};

Stat stat_of(const std::vector<double>& values);

/// MLLMU-Bench's summaries of a line (NaN for CLEAR lines): see the rule above.
double mllmu_utility(const std::map<std::string, Stat>& stats);
double mllmu_forget_score(const std::map<std::string, Stat>& stats);
/// What the best-setting rule keeps: CLEAR's model utility, MLLMU-Bench's utility, the
/// visual benchmark's retain accuracy.
double benchmark_utility(const std::string& benchmark, const std::map<std::string, Stat>& stats);
/// "mllmu" when some MLLMU-Bench column has a value, "faces" when a visual benchmark's
/// column has, else "clear".
std::string benchmark_of(const std::map<std::string, double>& metrics);

struct LeaderboardLine {
  std::string benchmark = "clear";        ///< "clear", "mllmu", "faces" or "tofu": which table it belongs in
  std::string method, modality, hparams;  ///< hparams as stored ("k=v k=v"); "" for a reference
  double forget_fraction = 0;
  bool reference = false;         ///< the Original or Gold row
  bool utility_fallback = false;  ///< no setting of the method kept the utility: its highest MU
  size_t seeds = 0;
  std::vector<std::string> job_ids;   ///< the jobs (one per seed) the line averages; none for a reference
  std::map<std::string, Stat> stats;  ///< every metric column by name
};

struct Leaderboard {
  /// Per (benchmark, forget fraction, modality): Original, Gold, then the methods in name
  /// order.
  std::vector<LeaderboardLine> lines;
  size_t jobs = 0;          ///< distinct job ids in the files
  size_t failed = 0;        ///< of those, the failed ones (left out)
  size_t rung_results = 0;  ///< of those, search rungs evaluated on a capped subset (left out)
  /// Every value each hyperparameter takes over all settings (which ones vary).
  std::map<std::string, std::set<std::string>> hparam_values;
};

/// Every file's rows, one per job id (the preferred record where files repeat a job, as
/// `merge` keeps it), each with the file it came from. Throws clear_sweep::Error naming
/// the file that cannot be read.
std::map<std::string, std::pair<ResultRecord, std::string>> merged_jobs(const std::vector<std::string>& files);

/// Reads `files`; every setting with `all_settings`, else each method's best. Throws
/// clear_sweep::Error naming the file that cannot be read.
Leaderboard build_leaderboard(const std::vector<std::string>& files, bool all_settings);

}  // namespace clear_sweep
