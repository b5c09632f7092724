// Asynchronous successive halving (Li et al., "A System for Massively Parallel
// Hyperparameter Tuning", MLSys 2020, Algorithm 2) for one search cell.
//
// Trials are dealt to brackets in turn; bracket s climbs its own rungs. Whenever a
// worker is free, next() promotes a trial that is in the top 1/eta of its rung's results
// so far and not yet promoted, looking from the highest rung down; when none is due it
// starts a new trial; when the budget is spent it has nothing (the worker waits for a
// result). The state is a function of which results exist, not of their order or
// timing, so a search rebuilt from stored results (restore) decides as the one that
// stored them would have.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace clear_sweep {

/// How a trial's result at a rung ranks: kept constraint before broken, then objective.
struct TrialScore {
  bool failed = false;   ///< the job failed or reported no objective: ranks last
  bool feasible = true;  ///< the constraint holds (or there is none)
  double value = 0;      ///< larger is better: the objective signed by direction, or
                         ///< for an infeasible trial its (negative) constraint margin
};

/// True when `a` ranks above `b`.
bool score_better(const TrialScore& a, const TrialScore& b);

class Asha {
 public:
  /// `rungs[b]`: the epochs of bracket b's rungs, rising; a bracket of one rung runs every
  /// trial in full (random search). `eta`: the reduction factor.
  Asha(std::vector<std::vector<int64_t>> rungs, int64_t eta);

  struct Step {
    int64_t trial = 0;
    int32_t rung = 0;
    int64_t epochs = 0;         ///< this rung's resource
    int64_t resume_epochs = 0;  ///< the rung below's (0 at rung 0)
    bool last = false;          ///< the bracket's top rung: a full result
  };

  /// The next trial-rung to run (now in flight), or nullopt when none can start now.
  /// `budget`: trials this cell may start in all; `start_new`: false to look only for a
  /// promotion.
  std::optional<Step> next(int64_t budget, bool start_new = true);
  /// A trial-rung in flight finished.
  void record(int64_t trial, int32_t rung, const TrialScore& score);
  /// A trial-rung that finished in an earlier run: it was issued, and it is done.
  void restore(int64_t trial, int32_t rung, const TrialScore& score);
  /// The step that runs `trial` at `rung` (its epochs, where it resumes, whether last).
  Step step_at(int64_t trial, int32_t rung) const;
  /// Forgets a trial-rung in flight (its worker went away): it may be issued again.
  void abandon(int64_t trial, int32_t rung);

  /// Nothing in flight and nothing to start.
  bool finished(int64_t budget) const;
  size_t in_flight() const { return in_flight_.size(); }
  int64_t bracket_of(int64_t trial) const { return trial % int64_t(brackets_.size()); }
  const std::vector<int64_t>& rung_epochs(int64_t bracket) const { return brackets_[size_t(bracket)].epochs; }
  size_t brackets() const { return brackets_.size(); }
  /// Results at a rung of a bracket, by trial.
  const std::map<int64_t, TrialScore>& results(int64_t bracket, int32_t rung) const;
  /// Trials promoted out of a rung of a bracket.
  const std::set<int64_t>& promoted(int64_t bracket, int32_t rung) const;
  bool has_result(int64_t trial, int32_t rung) const;
  int64_t trials_started() const { return int64_t(started_.size()); }

 private:
  struct Rung {
    std::map<int64_t, TrialScore> results;
    std::set<int64_t> promoted;
  };
  struct Bracket {
    std::vector<int64_t> epochs;
    std::vector<Rung> rungs;
  };
  std::optional<Step> find(int64_t budget, bool start_new) const;

  std::vector<Bracket> brackets_;
  int64_t eta_;
  std::set<int64_t> started_;
  std::set<std::pair<int64_t, int32_t>> in_flight_;
};

}  // namespace clear_sweep
