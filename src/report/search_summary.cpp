#include "report/search_summary.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <map>
#include <sstream>

#include "common/number_format.h"
#include "search/search_driver.h"
#include "store/results_store.h"
#include "sweep/shard.h"
#include "sweep/sweep_expand.h"

namespace clear_sweep {
namespace {

std::string epochs_of(const std::string& hparams) {
  std::istringstream in(hparams);
  for (std::string kv; in >> kv;)
    if (kv.rfind("epochs=", 0) == 0) return kv.substr(7);
  return "";
}

/// "epochs=9 l1_lambda=0.0001 lr=0.0003": the hyperparameters the search chose.
std::string searched_hparams(const std::string& hparams, const SearchSpec& search, const std::string& method) {
  const auto space = search.space_of(method);
  std::istringstream in(hparams);
  std::string out;
  for (std::string kv; in >> kv;) {
    const std::string name = kv.substr(0, kv.find('='));
    if (space.count(name) || (search.asha && name == "epochs")) out += (out.empty() ? "" : " ") + kv;
  }
  return out;
}

std::string objective_text(const SearchObjective& o) {
  std::string out = std::string(o.maximize ? "maximize " : "minimize ") + o.metric;
  if (o.constraint) {
    const auto& c = *o.constraint;
    const std::string of = c.relative_to.empty() ? "" : " x " + c.relative_to;
    out += " subject to " + c.metric;
    if (c.min) out += " >= " + format_number(*c.min) + of;
    if (c.max) out += std::string(c.min ? " and" : "") + " <= " + format_number(*c.max) + of;
  }
  return out;
}

std::string value_text(double v) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace

std::optional<SearchSummary> search_summary(const std::string& results_path) {
  return search_summary(results_snapshot(results_path), results_path);
}

std::optional<SearchSummary> search_summary(const ResultsSnapshot& snap, const std::string& results_path) {
  // A file whose header could not be read (its rows come from the journal alone) does
  // not say which sweep it holds: no summary, rather than no report.
  if (snap.header.sweep_toml.empty()) return std::nullopt;
  const SweepSpec spec = sweep_parse(snap.header.sweep_toml, results_path + ":sweep_toml");
  if (!spec.search) return std::nullopt;
  SweepPlan plan = sweep_expand(spec);
  if (!snap.header.shard.empty()) plan = sweep_shard(plan, shard_parse(snap.header.shard, "shard"));

  std::vector<ResultRecord> rows;
  for (const auto& r : snap.rows)
    if (!r.trial_id.empty()) rows.push_back(r);
  SearchDriver driver(spec, plan.jobs);
  driver.restore(rows);

  SearchSummary s;
  s.objective = objective_text(spec.search->objective);
  s.trials = driver.trials_started();
  s.trials_budget = driver.trials_budget();
  s.complete = driver.finished();
  s.halving = spec.search->asha.has_value();
  // Failures by their rung's resource, as rung_summary counts (0 for every row without halving).
  std::map<int64_t, size_t> failed_by_epochs;
  for (const auto& r : rows)
    if (r.status != RunStatus::ok) ++failed_by_epochs[s.halving ? std::stoll(epochs_of(r.hparams)) : 0];
  for (const auto& r : driver.rung_summary())
    s.rungs.push_back({r.epochs, r.top, r.results, r.promoted, failed_by_epochs[r.epochs]});

  // Each trial's rows by rung; the best per group among trials with a full result.
  std::map<std::string, std::vector<const ResultRecord*>> by_trial;
  for (const auto& r : rows) by_trial[r.trial_id].push_back(&r);
  std::map<std::tuple<std::string, std::string, double, int64_t>, std::pair<TrialScore, BestTrial>> best;
  for (auto& [trial, trial_rows] : by_trial) {
    std::sort(trial_rows.begin(), trial_rows.end(), [](auto* a, auto* b) { return a->rung < b->rung; });
    const ResultRecord& top = *trial_rows.back();
    if (top.capped_eval || top.status != RunStatus::ok) continue;  // stopped, or failed at its top rung
    const TrialScore score = trial_score(*spec.search, top);
    BestTrial b;
    b.method = top.method;
    b.modality = top.modality;
    b.forget_fraction = top.forget_fraction;
    b.seed = top.seed;
    b.trial_id = trial;
    b.hparams = searched_hparams(top.hparams, *spec.search, top.method);
    b.constraint_margin = top.constraint_margin;
    for (const auto* r : trial_rows)
      b.history.push_back({r->rung, epochs_of(r->hparams), r->objective, r->status == RunStatus::ok, r->capped_eval});
    const auto key = std::make_tuple(b.method, b.modality, b.forget_fraction, b.seed);
    const auto it = best.find(key);
    if (it == best.end() || score_better(score, it->second.first)) best[key] = {score, b};
  }
  for (auto& [key, entry] : best) s.best.push_back(std::move(entry.second));
  return s;
}

void print_search_summary(const SearchSummary& s, std::ostream& out) {
  out << "\nsearch: " << s.objective << "; " << s.trials << " of " << s.trials_budget << " trials started"
      << (s.complete ? ", complete" : ", not complete") << "\n";
  for (const auto& r : s.rungs) {
    out << "  rung" << (s.halving ? " at " + std::to_string(r.epochs) + " epochs" : std::string()) << ": "
        << r.evaluated << " evaluated";
    if (!r.top) out << ", " << r.evaluated - r.promoted << " stopped there";
    if (r.failed) out << ", " << r.failed << " failed";
    out << (r.top ? " (top)" : "") << "\n";
  }
  out << "best trial per method (objective at each rung; * = capped evaluation):\n";
  for (const auto& b : s.best) {
    out << "  " << b.method << "/" << b.modality << "/" << format_number(b.forget_fraction) << "%/seed" << b.seed
        << "  trial " << b.trial_id.substr(0, 8) << "  " << b.hparams << "\n    ";
    for (size_t i = 0; i < b.history.size(); ++i) {
      const auto& h = b.history[i];
      out << (i ? " -> " : "") << (h.epochs.empty() ? "" : h.epochs + "ep ")
          << (h.ok ? value_text(h.objective) : std::string("failed")) << (h.capped_eval ? "*" : "");
    }
    if (std::isfinite(b.constraint_margin))
      out << (b.constraint_margin >= 0 ? "  (keeps the constraint, margin " : "  (breaks the constraint by ")
          << value_text(std::abs(b.constraint_margin)) << ")";
    out << "\n";
  }
}

}  // namespace clear_sweep
