#include "cluster/eta_estimator.h"

#include <algorithm>
#include <functional>
#include <queue>

namespace clear_sweep {
namespace {

size_t index(TaskKind kind) { return kind == TaskKind::stage ? 0 : 1; }

bool reported(const RunningTask& t) { return t.fraction > 0.02 && t.fraction <= 1 && t.fraction_at > 0; }

/// A running task's whole duration as its progress projects it: `fraction` of it took
/// `fraction_at` seconds. At least what it has already run.
double projected_seconds(const RunningTask& t) { return std::max(t.elapsed, t.fraction_at / t.fraction); }

}  // namespace

void EtaEstimator::finished(TaskKind kind, double cost, double seconds) {
  if (!(cost > 0) || !(seconds >= 0)) return;  // a cost-free task calibrates nothing
  done_[index(kind)].cost += cost;
  done_[index(kind)].seconds += seconds;
}

double EtaEstimator::seconds_per_cost(TaskKind kind, const std::vector<RunningTask>& running) const {
  auto measured = [&](TaskKind k) {
    const Sums& s = done_[index(k)];
    return s.cost > 0 ? s.seconds / s.cost : NAN;
  };
  auto in_progress = [&](TaskKind k) {
    double cost = 0, seconds = 0;
    for (const auto& t : running)
      if (t.kind == k && t.cost > 0 && reported(t)) {
        cost += t.cost;
        seconds += projected_seconds(t);
      }
    return cost > 0 ? seconds / cost : NAN;
  };
  const TaskKind other = kind == TaskKind::stage ? TaskKind::job : TaskKind::stage;
  for (double rate : {measured(kind), in_progress(kind), measured(other), in_progress(other)})
    if (std::isfinite(rate)) return rate;
  return NAN;
}

double EtaEstimator::seconds_left(const std::vector<RunningTask>& running, const std::vector<PendingTask>& pending,
                                  int workers) const {
  if (workers < 1) return NAN;
  const double stage_rate = seconds_per_cost(TaskKind::stage, running);
  const double job_rate = seconds_per_cost(TaskKind::job, running);
  auto rate = [&](TaskKind k) { return k == TaskKind::stage ? stage_rate : job_rate; };
  // When each worker is free: after its running task, as its progress or estimate says.
  std::priority_queue<double, std::vector<double>, std::greater<double>> free_at;
  for (const auto& t : running) {
    const double left = (reported(t) ? projected_seconds(t) : t.cost * rate(t.kind)) - t.elapsed;
    if (!std::isfinite(left)) return NAN;
    free_at.push(std::max(0.0, left));
  }
  while (int(free_at.size()) < workers) free_at.push(0.0);
  while (int(free_at.size()) > workers) {  // more running than workers: a worker runs them in turn
    const double a = free_at.top();
    free_at.pop();
    const double b = free_at.top();
    free_at.pop();
    free_at.push(a + b);
  }
  std::vector<PendingTask> order = pending;
  std::stable_sort(order.begin(), order.end(), [](const PendingTask& a, const PendingTask& b) {
    if (a.kind != b.kind) return a.kind == TaskKind::stage;
    return a.cost > b.cost;
  });
  double end = 0;
  for (const auto& t : order) {
    const double seconds = t.cost * rate(t.kind);
    if (!std::isfinite(seconds)) return NAN;
    const double start = free_at.top();
    free_at.pop();
    free_at.push(start + seconds);
  }
  while (!free_at.empty()) {
    end = std::max(end, free_at.top());
    free_at.pop();
  }
  return end;
}

}  // namespace clear_sweep
