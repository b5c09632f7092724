// Internal to src/cluster: the coordinator's state, shared by its scheduling
// (coordinator.cpp) and its progress line and ETA (coordinator_progress.cpp).
#pragma once

#include <chrono>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cluster/coordinator.h"
#include "cluster/eta_estimator.h"
#include "cluster/messages.h"
#include "cluster/mpi_comm.h"
#include "common/clock.h"
#include "common/error.h"
#include "search/search_driver.h"
#include "sweep/task_queue.h"

namespace clear_sweep {

using Clock = std::chrono::steady_clock;

struct WorkerState {
  bool started = false;                  ///< said hello
  bool shutdown_sent = false;            ///< told to stop
  bool gone = false;                     ///< said bye
  bool hung = false;                     ///< ran a job past its time limit: no more work, not waited for
  std::string host;                      ///< from its hello
  std::deque<TaskQueue::Task> assigned;  ///< sent, not reported; the front one runs
  Clock::time_point front_start;         ///< when the front task started (about)
  std::string phase;                     ///< the front task's progress as last reported ("" unsaid)
  double fraction = -1;                  ///< of the front task done, as last reported (< 0 unsaid)
  double fraction_at = 0;                ///< seconds into the front task when that was so
};

/// Writes one JSON object per line to --log-json: machine-readable progress. Lines are
/// flushed once per coordinator round (flush), not per event: a job makes three events.
class EventLog {
 public:
  explicit EventLog(const std::string& path) {
    if (path.empty()) return;
    out_.open(path, std::ios::app);
    if (!out_) throw Error({path}, "", "cannot open the --log-json file for writing");
  }
  void write(nlohmann::json event) {
    if (!out_.is_open()) return;
    event["time"] = unix_now();
    out_ << event.dump() << "\n";
  }
  void flush() {
    if (out_.is_open()) out_.flush();
  }

 private:
  std::ofstream out_;
};

class Coordinator {
 public:
  Coordinator(const SweepSpec& spec, const SweepPlan& plan, ResultsStore& store, const CoordinatorOptions& options,
              std::ostream& log)
      : spec_(spec), plan_(plan), store_(store), options_(options), log_(log), events_(options.log_json_path) {}

  int run();

 private:
  void build_queue();
  void handle(const Envelope& message);
  void on_result(int rank, const ResultMessage& result);
  void record_job(const Job& job, ResultRecord record);
  void fail_cancelled(const std::vector<TaskQueue::Task>& cancelled, const std::string& why);
  void dispatch();
  std::optional<TaskQueue::Task> next_search_task();
  bool work_left() const;
  void send_shutdown(int rank, const std::string& reason);
  double job_time_limit(const Job& job) const;
  void check_hung_workers();
  void print_progress(bool final);
  double seconds_left() const;
  bool all_workers_gone() const;
  size_t busy_workers() const;

  const SweepSpec& spec_;
  const SweepPlan& plan_;
  ResultsStore& store_;
  CoordinatorOptions options_;
  std::ostream& log_;
  EventLog events_;

  TaskQueue queue_;
  std::vector<const Stage*> task_stage_;  ///< per task: its stage, or null for a job
  std::vector<const Job*> task_job_;      ///< per task: its job, or null for a stage
  /// A search (the sweep has [search]): it makes the jobs, one trial-rung at a time.
  std::unique_ptr<SearchDriver> search_;
  std::deque<Job> search_jobs_;      ///< the jobs it made (stable addresses)
  double search_expected_jobs_ = 0;  ///< trial-rungs under halving (the ETA's total)
  /// The search's answer can change only when a result or a stage arrives: until then a
  /// "nothing now" stands, and the idle loop does not ask (it sorts every rung) again.
  bool search_changed_ = true;
  bool search_finished_ = false;                       ///< as of the last time it had nothing to hand out
  std::map<std::string, TaskQueue::Task> stage_task_;  ///< stage id -> task
  std::map<int, WorkerState> workers_;
  size_t jobs_total_ = 0, jobs_skipped_ = 0, jobs_ok_ = 0, jobs_failed_ = 0;
  std::vector<double> seconds_per_cost_;  ///< of the jobs finished in this run (the automatic time limit)
  EtaEstimator eta_;                      ///< the cost model, calibrated by this run's finished tasks
  std::vector<int> hung_ranks_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_progress_ = Clock::now();
  bool draining_ = false;
  Clock::time_point drain_start_;
  struct Outgoing {
    int rank;
    int tag;
    std::string bytes;
  };
  std::vector<Outgoing> outbox_;  ///< this round's replies, sent once its messages are handled
};

/// "1h05m", "3m07s", "42s"; "?" when unknown.
std::string duration_text(double seconds);

}  // namespace clear_sweep
