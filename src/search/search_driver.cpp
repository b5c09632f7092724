#include "search/search_driver.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "common/error.h"
#include "common/hash.h"
#include "store/metric_columns.h"
#include "sweep/job_cost.h"
#include "sweep/method_catalog.h"

namespace clear_sweep {
namespace {

double metric_or_nan(const ResultRecord& r, const std::string& name) {
  const auto it = r.metrics.find(name);
  return it == r.metrics.end() ? NAN : it->second;
}

/// The brackets' rungs: ASHA's, or one rung of the trial's own epochs (a plain search).
std::vector<std::vector<int64_t>> bracket_rungs(const SearchSpec& search) {
  if (!search.asha) return {{0}};
  std::vector<std::vector<int64_t>> out;
  for (int64_t b = 0; b < search.asha->brackets; ++b) out.push_back(search.asha->rungs(b));
  return out;
}

}  // namespace

void score_record(const SearchSpec& search, ResultRecord& r) {
  r.objective = metric_or_nan(r, search.objective.metric);
  r.constraint_margin = NAN;
  if (!search.objective.constraint) return;
  const SearchConstraint& c = *search.objective.constraint;
  const double value = metric_or_nan(r, c.metric);
  double scale = 1;
  if (!c.relative_to.empty()) {
    const auto it = r.vectors.find("reference_" + c.relative_to + "_metrics");
    const int column = metric_column_index(c.metric);
    scale =
        it != r.vectors.end() && column >= 0 && size_t(column) < it->second.size() ? it->second[size_t(column)] : NAN;
  }
  double margin = INFINITY;
  if (c.min) margin = std::min(margin, value - *c.min * scale);
  if (c.max) margin = std::min(margin, *c.max * scale - value);
  r.constraint_margin = std::isnan(margin) ? -INFINITY : margin;  // unmeasurable: broken
}

TrialScore trial_score(const SearchSpec& search, const ResultRecord& r) {
  TrialScore s;
  if (r.status != RunStatus::ok || !std::isfinite(r.objective)) {
    s.failed = true;
    return s;
  }
  s.feasible = !search.objective.constraint || r.constraint_margin >= 0;
  s.value = s.feasible ? (search.objective.maximize ? r.objective : -r.objective) : r.constraint_margin;
  return s;
}

struct SearchDriver::Cell {
  const Job* base;
  TrialSampler sampler;
  Asha asha;
  bool abandoned = false;
  std::vector<std::string> trial_ids;  ///< by trial index, as far as made
};

SearchDriver::SearchDriver(const SweepSpec& spec, const std::vector<Job>& cells)
    : spec_(spec), context_(spec.job_context()) {
  CS_ASSERT(spec.search.has_value(), "a SearchDriver for a sweep without [search]");
  const SearchSpec& search = *spec.search;
  for (size_t c = 0; c < cells.size(); ++c) {
    const Job& base = cells[c];
    auto cell =
        std::make_unique<Cell>(Cell{&base,
                                    TrialSampler(search.sampler, search.seed, base.id, search.space_of(base.method)),
                                    Asha(bracket_rungs(search), search.asha ? search.asha->eta : 2),
                                    false,
                                    {}});
    for (int64_t t = 0; t < search.trials; ++t) {
      cell->trial_ids.push_back(
          short_hash("clear-sweep/trial/v1|" + base.id + "|" + hparams_text(cell->sampler.trial(t))));
      trial_index_[cell->trial_ids.back()] = {c, t};
    }
    cells_.push_back(std::move(cell));
  }
}

SearchDriver::~SearchDriver() = default;

Job SearchDriver::make_job(Cell& cell, const Asha::Step& step) {
  const SearchSpec& search = *spec_.search;
  Job job = *cell.base;
  for (const auto& [name, value] : cell.sampler.trial(step.trial)) job.hparams[name] = value;
  job.trial_id = cell.trial_ids[size_t(step.trial)];
  job.rung = step.rung;
  if (search.asha) {
    job.hparams["epochs"] = step.epochs;
    job.resume_epochs = step.resume_epochs;
  }
  // Below the top rung the evaluation only ranks trials: a capped subset does.
  if (spec_.needs_model() && !step.last && search.rung_max_items < spec_.eval.max_items)
    job.eval_max_items = search.rung_max_items;
  job.id = short_hash(job_canonical_text(job, context_));
  // Scheduling cost: the epochs this rung adds, not those it resumes from.
  Job trained = job;
  if (search.asha) trained.hparams["epochs"] = std::max<int64_t>(1, step.epochs - step.resume_epochs);
  job.cost = job_cost(spec_, *method_find(job.method), trained);
  return job;
}

std::string SearchDriver::restore(const std::vector<ResultRecord>& rows) {
  size_t unmatched = 0;
  for (const auto& row : rows) {
    const auto it = trial_index_.find(row.trial_id);
    bool matched = false;
    if (it != trial_index_.end()) {
      Cell& cell = *cells_[it->second.first];
      const int64_t trial = it->second.second;
      const auto& epochs = cell.asha.rung_epochs(cell.asha.bracket_of(trial));
      if (row.rung >= 0 && size_t(row.rung) < epochs.size()) {
        // The same trial at the same rung is the same job only if nothing else changed.
        matched = make_job(cell, cell.asha.step_at(trial, row.rung)).id == row.job_id;
        if (matched) cell.asha.restore(trial, row.rung, trial_score(*spec_.search, row));
      }
    }
    matched ? ++restored_ : ++unmatched;
  }
  if (unmatched == 0) return "";
  return std::to_string(unmatched) +
         " stored trial result(s) belong to no trial of this search (its space, seed, rungs or evaluation changed); "
         "they stay in the file and the search runs without them";
}

std::optional<Job> SearchDriver::next(const std::function<bool(const Job&)>& ready) {
  const int64_t budget = spec_.search->trials;
  for (auto& cell : cells_)  // promotions first, in any cell
    if (!cell->abandoned && ready(*cell->base))
      if (const auto step = cell->asha.next(budget, false)) return make_job(*cell, *step);
  Cell* least = nullptr;
  for (auto& cell : cells_)
    if (!cell->abandoned && ready(*cell->base) && cell->asha.trials_started() < budget &&
        (!least || cell->asha.trials_started() < least->asha.trials_started()))
      least = cell.get();
  if (least)
    if (const auto step = least->asha.next(budget, true)) return make_job(*least, *step);
  return std::nullopt;
}

void SearchDriver::record(const Job& job, ResultRecord& r) {
  const auto it = trial_index_.find(job.trial_id);
  CS_ASSERT(it != trial_index_.end(), "a result for a trial the search does not have");
  r.trial_id = job.trial_id;
  r.rung = job.rung;
  r.capped_eval = job.eval_max_items > 0;
  score_record(*spec_.search, r);
  cells_[it->second.first]->asha.record(it->second.second, job.rung, trial_score(*spec_.search, r));
}

std::vector<const Job*> SearchDriver::abandon(const std::function<bool(const Job&)>& doomed) {
  std::vector<const Job*> out;
  for (auto& cell : cells_)
    if (!cell->abandoned && doomed(*cell->base)) {
      cell->abandoned = true;
      out.push_back(cell->base);
    }
  return out;
}

bool SearchDriver::finished() const {
  for (const auto& cell : cells_)
    if (!cell->abandoned && !cell->asha.finished(spec_.search->trials)) return false;
  return true;
}

int64_t SearchDriver::trials_started() const {
  int64_t started = 0;
  for (const auto& cell : cells_) started += cell->asha.trials_started();
  return started;
}

int64_t SearchDriver::trials_budget() const { return int64_t(cells_.size()) * spec_.search->trials; }

std::vector<SearchDriver::RungSummary> SearchDriver::rung_summary() const {
  std::map<std::pair<int64_t, bool>, RungSummary> by_epochs;
  for (const auto& cell : cells_)
    for (size_t b = 0; b < cell->asha.brackets(); ++b) {
      const auto& epochs = cell->asha.rung_epochs(int64_t(b));
      for (size_t k = 0; k < epochs.size(); ++k) {
        const bool top = k + 1 == epochs.size();
        RungSummary& r = by_epochs[{epochs[k], top}];
        r.epochs = epochs[k];
        r.top = top;
        r.results += cell->asha.results(int64_t(b), int32_t(k)).size();
        r.promoted += cell->asha.promoted(int64_t(b), int32_t(k)).size();
      }
    }
  std::vector<RungSummary> out;
  for (const auto& [key, r] : by_epochs) out.push_back(r);
  return out;
}

std::string SearchDriver::progress() const {
  std::ostringstream out;
  out << "trials " << trials_started() << "/" << trials_budget();
  if (spec_.search->asha) {
    out << ", rungs";
    for (const auto& r : rung_summary()) out << " " << r.epochs << "ep:" << r.results;
  }
  return out.str();
}

SearchCost search_cost(const SweepSpec& spec, const std::vector<Job>& cells) {
  CS_ASSERT(spec.search.has_value(), "search_cost of a sweep without [search]");
  const SearchSpec& search = *spec.search;
  SearchCost cost;
  for (const Job& base : cells) {
    const MethodInfo& method = *method_find(base.method);
    // Rungs below the top evaluate a capped subset: their evaluation costs less.
    SweepSpec capped = spec;
    capped.eval.max_items = std::min(spec.eval.max_items, search.rung_max_items);
    auto cost_with = [&](int64_t epochs, const SweepSpec& s) {
      Job j = base;
      if (search.asha) j.hparams["epochs"] = std::max<int64_t>(1, epochs);
      return job_cost(s, method, j);
    };
    auto cost_of = [&](int64_t epochs) { return cost_with(epochs, spec); };
    cost.trials += double(search.trials);
    if (!search.asha) {
      cost.worst_jobs += double(search.trials);
      cost.worst_cost += double(search.trials) * cost_of(0);
      continue;
    }
    const auto& a = *search.asha;
    // job_cost is training plus one evaluation: split them to count a rung's share.
    const double per_epoch = cost_of(2) - cost_of(1);
    const double eval = cost_of(1) - per_epoch, rung_eval = cost_with(1, capped) - per_epoch;
    for (int64_t b = 0; b < a.brackets; ++b) {
      const double n = double((search.trials - b + a.brackets - 1) / a.brackets);  // trials dealt to bracket b
      const auto rungs = a.rungs(b);
      cost.worst_jobs += n * double(rungs.size());
      cost.worst_cost += n * (double(rungs.back()) * per_epoch + double(rungs.size() - 1) * rung_eval + eval);
      double survivors = n;
      int64_t below = 0;
      for (size_t k = 0; k < rungs.size(); ++k) {
        cost.expected_jobs += survivors;
        cost.expected_cost +=
            survivors * (double(rungs[k] - below) * per_epoch + (k + 1 == rungs.size() ? eval : rung_eval));
        below = rungs[k];
        survivors = std::floor(survivors / double(a.eta));
      }
    }
  }
  if (!search.asha) {
    cost.expected_jobs = cost.worst_jobs;
    cost.expected_cost = cost.worst_cost;
  }
  return cost;
}

}  // namespace clear_sweep
