#include <sys/resource.h>

#include <cmath>
#include <iomanip>
#include <sstream>

#include "cluster/coordinator_internal.h"

namespace clear_sweep {

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = std::lround(seconds);
  std::ostringstream out;
  if (s >= 3600)
    out << s / 3600 << "h" << std::setw(2) << std::setfill('0') << (s % 3600) / 60 << "m";
  else if (s >= 60)
    out << s / 60 << "m" << std::setw(2) << std::setfill('0') << s % 60 << "s";
  else
    out << s << "s";
  return out.str();
}

/// The ETA: the cost model calibrated by this run's finished tasks (stages and jobs
/// apart) and the running ones' reported progress, the rest of the queue dealt to the
/// workers still at work (eta_estimator.h). A search adds the trial-rungs halving is
/// expected to run but has not made yet, each at the mean cost of those it made.
double Coordinator::seconds_left() const {
  std::vector<RunningTask> running;
  std::vector<PendingTask> pending;
  int workers = 0;
  for (const auto& [rank, w] : workers_) {
    if (w.gone || w.hung) continue;
    ++workers;
    for (size_t i = 0; i < w.assigned.size(); ++i) {
      const TaskQueue::Task t = w.assigned[i];
      const TaskKind kind = task_stage_[t] ? TaskKind::stage : TaskKind::job;
      const double cost = task_stage_[t] ? task_stage_[t]->cost : task_job_[t]->cost;
      if (i == 0)
        running.push_back(
            {kind, cost, seconds_since(w.front_start), w.fraction >= 0 ? w.fraction : NAN, w.fraction_at});
      else
        pending.push_back({kind, cost});  // sent ahead, not started
    }
  }
  size_t jobs_made = 0;
  double job_cost_sum = 0;
  for (TaskQueue::Task t = 0; t < queue_.size(); ++t) {
    if (task_job_[t]) {
      ++jobs_made;
      job_cost_sum += task_job_[t]->cost;
    }
    const TaskState state = queue_.state(t);
    if (state == TaskState::ready || state == TaskState::blocked)
      pending.push_back({task_stage_[t] ? TaskKind::stage : TaskKind::job,
                         task_stage_[t] ? task_stage_[t]->cost : task_job_[t]->cost});
  }
  if (search_ && jobs_made > 0) {
    const double unmade = search_expected_jobs_ - double(jobs_skipped_) - double(jobs_made);
    for (int i = 0; i < int(std::ceil(unmade)); ++i)
      pending.push_back({TaskKind::job, job_cost_sum / double(jobs_made)});
  }
  if (running.empty() && pending.empty()) return 0;
  return eta_.seconds_left(running, pending, std::max(1, workers));
}

void Coordinator::print_progress(bool final) {
  const size_t done = jobs_ok_ + jobs_failed_;
  const double elapsed = seconds_since(start_);
  const double rate = elapsed > 0 ? done / elapsed * 60 : 0;
  const double eta = seconds_left();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double cpu = double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
  events_.write({{"event", final ? "finished" : "progress"},
                 {"coordinator_cpu_seconds", cpu},
                 {"done", done + jobs_skipped_},
                 {"total", jobs_total_},
                 {"failed", jobs_failed_},
                 {"jobs_per_minute", rate},
                 {"eta_seconds", std::isfinite(eta) ? eta : -1.0},
                 {"busy_workers", busy_workers()}});
  if (options_.quiet && !final) return;
  std::ostringstream line;
  if (search_) {
    line << "[coordinator] search: " << search_->progress() << "; " << done + jobs_skipped_ << " trial-rungs done";
  } else {
    line << "[coordinator] " << done + jobs_skipped_ << "/" << jobs_total_ << " jobs done";
  }
  if (jobs_skipped_) line << " (" << jobs_skipped_ << " from before)";
  line << ", " << jobs_failed_ << " failed, " << std::fixed << std::setprecision(1) << rate << " jobs/min";
  if (!final) {
    line << ", ETA " << duration_text(eta) << " |";
    for (const auto& [rank, w] : workers_) {
      line << " r" << rank << ":";
      if (w.assigned.empty()) {
        line << (w.hung ? "hung" : w.gone ? "done" : "idle");
      } else {
        const TaskQueue::Task t = w.assigned.front();
        line << (task_stage_[t] ? stage_label(*task_stage_[t]) : task_job_[t]->method) << "("
             << duration_text(seconds_since(w.front_start)) << (w.phase.empty() ? "" : ", " + w.phase) << ")";
      }
    }
  } else {
    line << ", " << duration_text(elapsed);
  }
  log_ << line.str() << "\n";
  log_.flush();
}

}  // namespace clear_sweep
