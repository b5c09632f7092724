// Rank 0's scheduling: the task queue (stages before the jobs that need them, longest
// first), the search's trial-rungs, handing tasks to workers as they ask, storing each
// result, hung workers, and the end of the sweep. The progress line and the ETA are in
// coordinator_progress.cpp.
#include <algorithm>
#include <cmath>
#include <thread>

#include "cluster/coordinator_internal.h"
#include "cluster/stop_signals.h"
#include "store/lock_file.h"

namespace clear_sweep {

void Coordinator::build_queue() {
  if (spec_.search) {
    // A search makes its jobs as results arrive; the stages go in now, if some cell has
    // work left (its stored results are restored first).
    search_ = std::make_unique<SearchDriver>(spec_, plan_.jobs);
    // --retry-failed: a failed trial-rung is forgotten, so the search hands it out again.
    std::vector<ResultRecord> stored;
    for (const auto& r : store_.stored_search_rows())
      if (r.status == RunStatus::ok || !options_.retry_failed) stored.push_back(r);
    const std::string note = search_->restore(stored);
    if (!note.empty()) log_ << "[coordinator] " << note << "\n";
    jobs_skipped_ = search_->restored();
    jobs_total_ = jobs_skipped_;  // grows as the search makes jobs
    search_expected_jobs_ = search_cost(spec_, plan_.jobs).expected_jobs;
    if (!search_->finished())
      for (const auto& stage : plan_.stages) {
        stage_task_[stage.id] = queue_.add(stage.id, stage.cost);
        task_stage_.push_back(&stage);
        task_job_.push_back(nullptr);
      }
    return;
  }
  // Jobs already stored are skipped (failed ones too, unless --retry-failed); stages
  // enter the queue only if a job that runs needs them.
  std::vector<const Job*> pending;
  for (const auto& job : plan_.jobs) {
    const auto it = store_.stored().find(job.id);
    const bool done = it != store_.stored().end() && (it->second == RunStatus::ok || !options_.retry_failed);
    if (done)
      ++jobs_skipped_;
    else
      pending.push_back(&job);
  }
  std::map<std::string, TaskQueue::Task> stage_task;
  for (const auto& stage : plan_.stages) {
    bool needed = false;
    for (const Job* job : pending)
      needed = needed || std::find(job->needs.begin(), job->needs.end(), stage.id) != job->needs.end();
    if (!needed) continue;
    stage_task[stage.id] = queue_.add(stage.id, stage.cost);
    task_stage_.push_back(&stage);
    task_job_.push_back(nullptr);
  }
  for (const Job* job : pending) {
    std::vector<TaskQueue::Task> prerequisites;
    for (const auto& need : job->needs) prerequisites.push_back(stage_task.at(need));
    queue_.add(job->id, job->cost, prerequisites);
    task_stage_.push_back(nullptr);
    task_job_.push_back(job);
  }
  jobs_total_ = plan_.jobs.size();
}

void Coordinator::record_job(const Job& job, ResultRecord r) {
  // The coordinator, not the worker, is the authority on what the job was.
  r.job_id = job.id;
  r.method = job.method;
  r.modality = modality_name(job.modality);
  r.forget_fraction = job.forget_fraction;
  r.seed = job.seed;
  r.hparams = hparams_text(job.hparams);
  r.context_hash = results_context(spec_, options_.dry_run);
  if (r.finished_at == 0) r.finished_at = unix_now();
  if (search_ && job.rung >= 0) search_->record(job, r);  // its trial, rung and score
  store_.record(r);
  (r.status == RunStatus::ok ? jobs_ok_ : jobs_failed_) += 1;
  events_.write({{"event", "job_finished"},
                 {"job_id", r.job_id},
                 {"label", job_label(job)},
                 {"status", run_status_name(r.status)},
                 {"error", r.error},
                 {"rank", r.worker_rank},
                 {"seconds", r.wall_seconds}});
  if (r.status == RunStatus::failed && !options_.quiet)
    log_ << "[coordinator] job " << job.id << " (" << job_label(job) << ") failed on rank " << r.worker_rank << ": "
         << r.error << "\n";
}

void Coordinator::fail_cancelled(const std::vector<TaskQueue::Task>& cancelled, const std::string& why) {
  for (TaskQueue::Task t : cancelled) {
    if (!task_job_[t]) continue;
    ResultRecord r;
    r.status = RunStatus::failed;
    r.error = why;
    r.worker_rank = 0;
    r.host = host_name();
    record_job(*task_job_[t], r);
  }
}

void Coordinator::on_result(int rank, const ResultMessage& result) {
  WorkerState& w = workers_[rank];
  search_changed_ = true;
  // Workers run their tasks in the order sent: a result is always for the front one.
  CS_ASSERT(!w.assigned.empty() && w.assigned.front() == result.task,
            "rank " + std::to_string(rank) + " reported a task out of order");
  const double front_seconds = seconds_since(w.front_start);
  w.assigned.pop_front();
  w.front_start = Clock::now();
  w.phase.clear();
  w.fraction = -1;
  const TaskQueue::Task t = result.task;
  if (result.is_stage) {
    if (result.ok) eta_.finished(TaskKind::stage, task_stage_[t]->cost, front_seconds);
    const Stage& stage = *task_stage_[t];
    events_.write({{"event", "stage_finished"},
                   {"stage", stage_label(stage)},
                   {"ok", result.ok},
                   {"error", result.error},
                   {"rank", rank}});
    if (result.ok) {
      queue_.complete(t);
      if (!options_.quiet) log_ << "[coordinator] " << stage_label(stage) << " done on rank " << rank << "\n";
    } else {
      log_ << "[coordinator] " << stage_label(stage) << " failed on rank " << rank << ": " << result.error << "\n";
      fail_cancelled(queue_.fail(t), stage_label(stage) + " failed: " + result.error);
      if (search_) {
        const auto needs_it = [&](const Job& cell) {
          return std::find(cell.needs.begin(), cell.needs.end(), stage.id) != cell.needs.end();
        };
        for (const Job* cell : search_->abandon(needs_it)) {
          ++jobs_failed_;
          log_ << "[coordinator] search of " << job_label(*cell) << " abandoned: " << stage_label(stage) << " failed\n";
        }
      }
    }
    return;
  }
  const ResultRecord& record = result.record;
  if (record.status == RunStatus::ok && task_job_[t]->cost > 0)
    seconds_per_cost_.push_back(record.wall_seconds / task_job_[t]->cost);
  if (record.status == RunStatus::ok) eta_.finished(TaskKind::job, task_job_[t]->cost, record.wall_seconds);
  record_job(*task_job_[t], record);
  if (record.status == RunStatus::ok)
    queue_.complete(t);
  else
    queue_.fail(t);  // jobs have no dependents: nothing is cancelled
}

void Coordinator::handle(const Envelope& message) {
  WorkerState& w = workers_[message.source];
  switch (message.tag) {
    case kTagHello: {
      HelloMessage hello;
      decode(message.bytes, hello);
      w.started = true;
      w.host = hello.host;
      events_.write({{"event", "worker_up"},
                     {"rank", hello.rank},
                     {"host", hello.host},
                     {"pid", hello.pid},
                     {"device", hello.device}});
      if (!options_.quiet)
        log_ << "[coordinator] rank " << hello.rank << " up on " << hello.host << " (pid " << hello.pid << ", "
             << hello.device << ")\n";
      break;
    }
    case kTagResult: {
      ResultMessage result;
      decode(message.bytes, result);
      on_result(message.source, result);
      break;
    }
    case kTagHeartbeat: {
      HeartbeatMessage beat;
      decode(message.bytes, beat);
      events_.write({{"event", "heartbeat"},
                     {"rank", beat.rank},
                     {"task", beat.task},
                     {"elapsed", beat.elapsed_seconds},
                     {"phase", beat.phase},
                     {"fraction", beat.fraction}});
      if (!w.assigned.empty() && w.assigned.front() == beat.task) {  // not a late beat of a finished task
        w.phase = beat.phase;
        w.fraction = beat.fraction;
        w.fraction_at = beat.fraction_at;
      }
      break;
    }
    case kTagBye: {
      ByeMessage bye;
      decode(message.bytes, bye);
      w.gone = true;
      events_.write({{"event", "worker_down"}, {"rank", bye.rank}, {"dropped", bye.dropped.size()}});
      if (!bye.dropped.empty() && !options_.quiet)
        log_ << "[coordinator] rank " << bye.rank << " left " << bye.dropped.size()
             << " queued task(s) unstarted; they run on resume\n";
      break;
    }
    default:
      CS_ASSERT(false, "unexpected message tag " + std::to_string(message.tag) + " from rank " +
                           std::to_string(message.source));
  }
}

void Coordinator::send_shutdown(int rank, const std::string& reason) {
  WorkerState& w = workers_[rank];
  if (w.shutdown_sent) return;
  w.shutdown_sent = true;
  outbox_.push_back({rank, kTagShutdown, encode(ShutdownMessage{reason})});
}

void Coordinator::dispatch() {
  const size_t depth = 1 + size_t(std::max(0, options_.prefetch));
  // One task per worker per pass, then around again: with prefetch, the longest tasks
  // still spread over all workers instead of piling onto the first.
  for (size_t round = 0; round < depth; ++round)
    for (auto& [rank, w] : workers_) {
      if (!w.started || w.shutdown_sent || w.hung || w.assigned.size() > round) continue;
      if (draining_) {
        send_shutdown(rank, "stop requested");
        continue;
      }
      // A stage is never prefetched: it runs for minutes, and a worker holding one in
      // reserve keeps it from a worker that is idle (or not yet up) now.
      if (round > 0)
        if (const auto next = queue_.peek(); next && task_stage_[*next]) continue;
      auto task = queue_.pop();
      // A search's next trial-rung is decided when a worker is free, not before: the
      // later the decision, the more results it sees (so searches never prefetch).
      if (!task && search_ && round == 0) task = next_search_task();
      if (!task) {
        if (!work_left() && w.assigned.empty()) send_shutdown(rank, "sweep complete");
        continue;  // blocked work remains: it waits for a stage (or a search's results)
      }
      TaskMessage m;
      m.task = *task;
      m.is_stage = task_stage_[*task] != nullptr;
      if (m.is_stage)
        m.stage = *task_stage_[*task];
      else
        m.job = *task_job_[*task];
      if (w.assigned.empty()) w.front_start = Clock::now();
      w.assigned.push_back(*task);
      events_.write(
          {{"event", "task_started"}, {"rank", rank}, {"task", m.is_stage ? stage_label(m.stage) : job_label(m.job)}});
      outbox_.push_back({rank, kTagTask, encode(m)});
    }
}

std::optional<TaskQueue::Task> Coordinator::next_search_task() {
  const auto stages_done = [&](const Job& cell) {
    for (const auto& need : cell.needs)
      if (queue_.state(stage_task_.at(need)) != TaskState::done) return false;
    return true;
  };
  if (!search_changed_) return std::nullopt;
  auto job = search_->next(stages_done);
  if (!job) {
    search_changed_ = false;
    search_finished_ = search_->finished();
    return std::nullopt;
  }
  search_jobs_.push_back(std::move(*job));
  const Job& made = search_jobs_.back();
  std::vector<TaskQueue::Task> prerequisites;
  for (const auto& need : made.needs) prerequisites.push_back(stage_task_.at(need));
  queue_.add(made.id, made.cost, prerequisites);
  task_stage_.push_back(nullptr);
  task_job_.push_back(&made);
  ++jobs_total_;
  return queue_.pop();
}

bool Coordinator::work_left() const { return !queue_.finished() || (search_ && !search_finished_); }

bool Coordinator::all_workers_gone() const {
  for (const auto& [rank, w] : workers_)
    if (!w.gone && !w.hung) return false;
  return true;
}

double Coordinator::job_time_limit(const Job& job) const {
  if (options_.job_timeout > 0) return options_.job_timeout;
  if (seconds_per_cost_.size() < 3 || job.cost <= 0) return INFINITY;  // nothing to go by yet
  std::vector<double> rates = seconds_per_cost_;
  std::nth_element(rates.begin(), rates.begin() + long(rates.size() / 2), rates.end());
  return std::max(options_.job_timeout_floor, options_.job_timeout_factor * job.cost * rates[rates.size() / 2]);
}

void Coordinator::check_hung_workers() {
  for (auto& [rank, w] : workers_) {
    if (w.gone || w.hung || w.assigned.empty()) continue;
    const TaskQueue::Task t = w.assigned.front();
    if (!task_job_[t]) continue;  // stages train for as long as they train
    const double elapsed = seconds_since(w.front_start);
    // The automatic limit is never below its floor: no need to work it out before then.
    if (options_.job_timeout <= 0 && elapsed <= options_.job_timeout_floor) continue;
    const double limit = job_time_limit(*task_job_[t]);
    if (!(elapsed > limit)) continue;
    // The rank may be stuck in a kernel or a lock: nothing can stop it from here but
    // MPI_Abort at the end. Its job fails, its queued tasks go to the others.
    w.hung = true;
    hung_ranks_.push_back(rank);
    search_changed_ = true;
    ResultRecord r;
    r.status = RunStatus::failed;
    r.error = "timed out after " + std::to_string(std::lround(elapsed)) + " s on rank " + std::to_string(rank) +
              " (host " + w.host + "), past its limit of " + std::to_string(std::lround(limit)) +
              " s; the rank got no more work";
    r.worker_rank = rank;
    r.host = w.host;
    r.wall_seconds = elapsed;
    queue_.fail(t);
    record_job(*task_job_[t], r);
    w.assigned.pop_front();
    for (const TaskQueue::Task queued : w.assigned) queue_.requeue(queued);
    w.assigned.clear();
    events_.write({{"event", "worker_hung"}, {"rank", rank}, {"host", w.host}, {"seconds", elapsed}});
  }
}

size_t Coordinator::busy_workers() const {
  size_t n = 0;
  for (const auto& [rank, w] : workers_) n += !w.assigned.empty() && !w.gone && !w.hung;
  return n;
}

int Coordinator::run() {
  build_queue();
  const int workers = mpi_size() - 1;
  for (int r = 1; r <= workers; ++r) workers_[r];
  if (!options_.quiet && search_)
    log_ << "[coordinator] search " << spec_.name << ": " << search_->cells() << " cells x " << spec_.search->trials
         << " trials, " << jobs_skipped_ << " trial-rungs already stored, " << queue_.size() << " stages to run on "
         << workers << " workers\n";
  else if (!options_.quiet)
    log_ << "[coordinator] sweep " << spec_.name << ": " << jobs_total_ << " jobs, " << jobs_skipped_
         << " already stored, " << queue_.size() << " tasks to run on " << workers << " workers\n";
  events_.write({{"event", "start"},
                 {"sweep", spec_.name},
                 {"jobs", jobs_total_},
                 {"skipped", jobs_skipped_},
                 {"tasks", queue_.size()},
                 {"workers", workers}});

  // Poll with a backoff: quick while messages flow, gentle on a shared core when idle.
  PollBackoff backoff;
  while (!all_workers_gone()) {
    bool any = false;
    while (auto message = mpi_poll()) {
      handle(*message);
      any = true;
    }
    if (!draining_ && stop_signal_received()) {
      draining_ = true;
      drain_start_ = Clock::now();
      log_ << "[coordinator] signal " << stop_signal_received() << ": no new tasks; waiting up to "
           << options_.grace_seconds << " s for " << busy_workers() << " running task(s)\n";
      events_.write({{"event", "stop_requested"}, {"signal", stop_signal_received()}, {"running", busy_workers()}});
    }
    check_hung_workers();
    dispatch();
    // Results are already in the journal (a write each; its own thread fsyncs them in
    // groups) and queued for HDF5 (another thread): replying never waits on the disk. A
    // crash before the fsync loses only results that run again on resume, like jobs in
    // flight; nothing is ever duplicated.
    for (const auto& out : outbox_) mpi_send(out.rank, out.tag, out.bytes);
    outbox_.clear();
    store_.commit();  // surfaces a failure of the store's threads
    events_.flush();
    if (options_.progress_seconds > 0 && seconds_since(last_progress_) >= options_.progress_seconds) {
      print_progress(false);
      last_progress_ = Clock::now();
    }
    if (draining_ && seconds_since(drain_start_) > options_.grace_seconds) {
      log_ << "[coordinator] grace period over with " << busy_workers()
           << " task(s) still running; they will run again on resume\n";
      store_.close();
      events_.write({{"event", "interrupted"}, {"abandoned", busy_workers()}});
      events_.flush();  // mpi_abort runs no destructors
      mpi_abort(kExitInterrupted);
    }
    if (any)
      backoff.reset();
    else
      backoff.sleep();
  }
  store_.flush();
  print_progress(true);
  if (!hung_ranks_.empty()) {
    std::string ranks;
    for (int r : hung_ranks_) ranks += (ranks.empty() ? "" : ", ") + std::to_string(r);
    log_ << "[coordinator] rank(s) " << ranks << " ran a job past its time limit and may be stuck: ending every "
         << "rank with MPI_Abort (exit " << kExitHungWorker << "); the results are stored"
         << (queue_.finished() ? "" : ", and a rerun runs what is left") << "\n";
    log_.flush();
    store_.close();
    events_.write({{"event", "aborted_hung"}, {"ranks", hung_ranks_}});
    events_.flush();  // mpi_abort runs no destructors
    mpi_abort(kExitHungWorker);
  }
  if (draining_) {
    log_ << "[coordinator] stopped early: rerun the same command to resume\n";
    return kExitInterrupted;
  }
  return jobs_failed_ > 0 ? kExitFailure : kExitOk;
}

std::string results_context(const SweepSpec& spec, bool dry_run) {
  return spec.context_hash() + (dry_run ? "-dry-run" : "");
}

int coordinator_run(const SweepSpec& spec, const SweepPlan& plan, ResultsStore& store,
                    const CoordinatorOptions& options, std::ostream& log) {
  Coordinator coordinator(spec, plan, store, options, log);
  return coordinator.run();
}

}  // namespace clear_sweep
