#include "search/asha.h"

#include <algorithm>

#include "common/error.h"

namespace clear_sweep {

bool score_better(const TrialScore& a, const TrialScore& b) {
  if (a.failed != b.failed) return !a.failed;
  if (a.failed) return false;
  if (a.feasible != b.feasible) return a.feasible;
  return a.value > b.value;
}

Asha::Asha(std::vector<std::vector<int64_t>> rungs, int64_t eta) : eta_(eta) {
  CS_ASSERT(!rungs.empty() && eta >= 2, "ASHA needs a bracket and eta >= 2");
  for (auto& epochs : rungs) {
    CS_ASSERT(!epochs.empty(), "a bracket without rungs");
    Bracket b;
    b.rungs.resize(epochs.size());
    b.epochs = std::move(epochs);
    brackets_.push_back(std::move(b));
  }
}

Asha::Step Asha::step_at(int64_t trial, int32_t rung) const {
  const Bracket& b = brackets_[size_t(bracket_of(trial))];
  Step s;
  s.trial = trial;
  s.rung = rung;
  s.epochs = b.epochs[size_t(rung)];
  s.resume_epochs = rung > 0 ? b.epochs[size_t(rung - 1)] : 0;
  s.last = size_t(rung) + 1 == b.epochs.size();
  return s;
}

std::optional<Asha::Step> Asha::find(int64_t budget, bool start_new) const {
  // Promotions first, from the highest rung down: finishing good trials beats starting new ones.
  for (const Bracket& b : brackets_)
    for (size_t k = b.rungs.size() - 1; k-- > 0;) {
      const Rung& rung = b.rungs[k];
      std::vector<std::pair<int64_t, TrialScore>> ranked(rung.results.begin(), rung.results.end());
      // Equal scores keep the earlier trial first: the ranking is a function of the results.
      std::stable_sort(ranked.begin(), ranked.end(),
                       [](const auto& x, const auto& y) { return score_better(x.second, y.second); });
      const size_t quota = ranked.size() / size_t(eta_);
      for (size_t i = 0; i < quota; ++i)
        if (!ranked[i].second.failed && !rung.promoted.count(ranked[i].first))
          return step_at(ranked[i].first, int32_t(k + 1));
    }
  // Then a new trial: the lowest index not started (after a crash, the ones lost in flight).
  if (!start_new) return std::nullopt;
  for (int64_t t = 0; t < budget; ++t)
    if (!started_.count(t)) return step_at(t, 0);
  return std::nullopt;
}

std::optional<Asha::Step> Asha::next(int64_t budget, bool start_new) {
  const auto step = find(budget, start_new);
  if (!step) return std::nullopt;
  started_.insert(step->trial);
  if (step->rung > 0)
    brackets_[size_t(bracket_of(step->trial))].rungs[size_t(step->rung - 1)].promoted.insert(step->trial);
  in_flight_.insert({step->trial, step->rung});
  return step;
}

void Asha::record(int64_t trial, int32_t rung, const TrialScore& score) {
  CS_ASSERT(in_flight_.erase({trial, rung}) == 1, "a result for a trial-rung not in flight");
  brackets_[size_t(bracket_of(trial))].rungs.at(size_t(rung)).results[trial] = score;
}

void Asha::restore(int64_t trial, int32_t rung, const TrialScore& score) {
  Bracket& b = brackets_[size_t(bracket_of(trial))];
  CS_ASSERT(rung >= 0 && size_t(rung) < b.rungs.size(), "a stored rung outside its bracket");
  started_.insert(trial);
  if (rung > 0) b.rungs[size_t(rung - 1)].promoted.insert(trial);
  b.rungs[size_t(rung)].results[trial] = score;
}

void Asha::abandon(int64_t trial, int32_t rung) {
  if (in_flight_.erase({trial, rung}) == 0) return;
  Bracket& b = brackets_[size_t(bracket_of(trial))];
  if (rung > 0)
    b.rungs[size_t(rung - 1)].promoted.erase(trial);
  else
    started_.erase(trial);
}

bool Asha::finished(int64_t budget) const { return in_flight_.empty() && !find(budget, true); }

const std::map<int64_t, TrialScore>& Asha::results(int64_t bracket, int32_t rung) const {
  return brackets_.at(size_t(bracket)).rungs.at(size_t(rung)).results;
}

const std::set<int64_t>& Asha::promoted(int64_t bracket, int32_t rung) const {
  return brackets_.at(size_t(bracket)).rungs.at(size_t(rung)).promoted;
}

bool Asha::has_result(int64_t trial, int32_t rung) const {
  const Bracket& b = brackets_[size_t(bracket_of(trial))];
  return size_t(rung) < b.rungs.size() && b.rungs[size_t(rung)].results.count(trial);
}

}  // namespace clear_sweep
