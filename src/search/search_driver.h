// A search over every cell of a sweep's grid, as the coordinator
// drives it: each cell (one job of the grid expansion: method x modality x forget
// fraction x seed x grid axes) has its own trial sampler and its own successive halving.
// The driver turns their steps into ordinary Jobs (a trial's hyperparameters, the rung's
// epochs, a capped evaluation below the top rung), scores finished ones by the
// objective, and rebuilds itself from the rows an earlier run stored.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "search/asha.h"
#include "search/trial_sampler.h"
#include "store/result_record.h"
#include "sweep/job.h"
#include "sweep/sweep_spec.h"

namespace clear_sweep {

/// A record's rank by the search's objective (and constraint).
TrialScore trial_score(const SearchSpec& search, const ResultRecord& record);

/// Fills a finished trial-rung's objective and constraint_margin from its metrics and
/// reference vectors (reference_original_metrics / reference_gold_metrics).
void score_record(const SearchSpec& search, ResultRecord& record);

class SearchDriver {
 public:
  /// `cells`: the grid expansion of `spec` (sweep_expand), whose spec has a [search].
  SearchDriver(const SweepSpec& spec, const std::vector<Job>& cells);
  ~SearchDriver();

  /// Rows stored by earlier runs (ResultsStore::stored_search_rows): their trial-rungs
  /// count as done and are never run again. Rows that match no trial of this search (its
  /// space or seed changed) are ignored and counted in the returned note.
  std::string restore(const std::vector<ResultRecord>& rows);

  /// The next trial-rung of a cell that `ready` accepts (its stages are done), now in
  /// flight; nullopt when no such cell has one to start now. Cells take turns: promotions
  /// anywhere first, then a new trial in the cell with the fewest started.
  std::optional<Job> next(const std::function<bool(const Job& cell)>& ready);
  /// A trial-rung from next() finished. Fills the record's search fields and score.
  void record(const Job& job, ResultRecord& record);
  /// The cells `doomed` accepts will never run (a stage they need failed): returns them,
  /// and the search no longer waits for them.
  std::vector<const Job*> abandon(const std::function<bool(const Job& cell)>& doomed);

  /// Nothing in flight and nothing left to start in any cell.
  bool finished() const;
  size_t cells() const { return cells_.size(); }
  /// Trial-rungs stored before this run (restored) and finished during it.
  size_t restored() const { return restored_; }
  /// "trials 12/27, rungs 1ep:27 3ep:9 9ep:2": the progress line's part.
  std::string progress() const;

  /// Per rung resource (epochs), over every cell and bracket: trials with a result
  /// there, and how many of those went on to a higher rung.
  struct RungSummary {
    int64_t epochs = 0;
    bool top = false;  ///< a bracket's last rung
    size_t results = 0, promoted = 0;
  };
  std::vector<RungSummary> rung_summary() const;
  int64_t trials_started() const;
  int64_t trials_budget() const;

 private:
  struct Cell;
  Job make_job(Cell& cell, const Asha::Step& step);

  const SweepSpec& spec_;
  std::string context_;
  std::vector<std::unique_ptr<Cell>> cells_;
  std::map<std::string, std::pair<size_t, int64_t>> trial_index_;  ///< trial id -> (cell, trial)
  size_t restored_ = 0;
};

/// The trial-rungs a search runs and their cost: every trial to the top (the worst
/// case) and under halving (each rung keeps 1/eta of the one below), in job_cost units.
struct SearchCost {
  double trials = 0;
  double worst_jobs = 0, worst_cost = 0;
  double expected_jobs = 0, expected_cost = 0;
};
SearchCost search_cost(const SweepSpec& spec, const std::vector<Job>& cells);

}  // namespace clear_sweep
