#include "sweep/schedule_preview.h"

#include <algorithm>
#include <queue>

#include "common/error.h"

namespace clear_sweep {

SchedulePreview schedule_preview(const SweepPlan& plan, int ranks) {
  CS_ASSERT(ranks >= 2, "a schedule needs a coordinator and at least one worker");
  TaskQueue queue = plan_task_queue(plan);
  SchedulePreview out;
  out.workers = ranks - 1;
  for (int w = 0; w < out.workers; ++w) out.per_worker.push_back({w + 1, 0, 0, 0});
  for (size_t t = 0; t < queue.size(); ++t) {
    out.total += queue.cost(t);
    out.critical_path = std::max(out.critical_path, queue.priority(t));
  }

  struct Running {
    double end;
    int worker;
    TaskQueue::Task task;
    bool operator>(const Running& o) const { return end != o.end ? end > o.end : worker > o.worker; }
  };
  std::priority_queue<Running, std::vector<Running>, std::greater<Running>> running;
  std::vector<int> idle;  // kept sorted descending, so back() is the lowest rank
  for (int w = out.workers - 1; w >= 0; --w) idle.push_back(w);
  double now = 0;

  while (true) {
    while (!idle.empty()) {
      const auto task = queue.pop();
      if (!task) break;
      const int w = idle.back();
      idle.pop_back();
      WorkerLoad& load = out.per_worker[w];
      (*task < plan.stages.size() ? load.stages : load.jobs) += 1;
      load.busy += queue.cost(*task);
      running.push({now + queue.cost(*task), w, *task});
    }
    if (running.empty()) break;
    const Running next = running.top();
    running.pop();
    now = next.end;
    queue.complete(next.task);
    idle.push_back(next.worker);
    std::sort(idle.begin(), idle.end(), std::greater<int>());
  }
  CS_ASSERT(queue.finished(), "schedule simulation left tasks unscheduled");
  out.makespan = now;
  out.efficiency = out.makespan > 0 ? out.total / (out.workers * out.makespan) : 1.0;
  return out;
}

}  // namespace clear_sweep
