#include "cluster/worker.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "cluster/messages.h"
#include "cluster/mpi_comm.h"
#include "common/clock.h"
#include "common/error.h"
#include "store/lock_file.h"

namespace clear_sweep {
namespace {

using Clock = std::chrono::steady_clock;

/// Runs one task; never throws: a failure is reported in the result.
ResultMessage run_task(JobRunner& runner, const TaskMessage& task, int rank, const std::string& host) {
  ResultMessage result;
  result.task = task.task;
  result.is_stage = task.is_stage;
  const auto start = Clock::now();
  if (task.is_stage) {
    try {
      runner.run_stage(task.stage);
    } catch (const FatalError&) {
      throw;  // not the stage's failure: this rank cannot go on (run_sweep aborts)
    } catch (const ResumableError&) {
      throw;  // a full disk: the sweep stops, resumable (exit 75)
    } catch (const std::exception& e) {
      result.ok = false;
      result.error = e.what();
    }
    return result;
  }
  ResultRecord& r = result.record;
  try {
    r = runner.run_job(task.job);
    r.status = RunStatus::ok;
  } catch (const FatalError&) {
    throw;  // not the job's failure: this rank cannot go on (run_sweep aborts)
  } catch (const ResumableError&) {
    throw;  // a full disk: the sweep stops, resumable (exit 75)
  } catch (const std::exception& e) {
    r = ResultRecord{};
    r.status = RunStatus::failed;
    r.error = e.what();
    result.ok = false;
  }
  r.wall_seconds = seconds_since(start);
  r.worker_rank = rank;
  r.host = host;
  r.finished_at = unix_now();
  return result;
}

/// One thread that runs tasks, made once: a thread per task would cost its creation
/// and its stack on every job (measurable at thousands of short jobs a second).
class TaskThread {
 public:
  explicit TaskThread(std::function<ResultMessage(const TaskMessage&)> run) : run_(std::move(run)) {
    thread_ = std::thread([this] { loop(); });
  }
  ~TaskThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      quit_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  void start(const TaskMessage& task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task_ = task;
      has_task_ = true;
      has_result_ = false;
    }
    wake_.notify_all();
  }
  /// Waits up to `timeout` for the task's result. What the task threw instead of a
  /// result (a FatalError, a ResumableError: the rank's end, not the task's) is thrown
  /// here, on the thread that calls MPI, which aborts the sweep.
  bool wait(std::chrono::duration<double> timeout, ResultMessage& result) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!done_.wait_for(lock, timeout, [this] { return has_result_; })) return false;
    has_result_ = false;
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    result = std::move(result_);
    return true;
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return has_task_ || quit_; });
      if (quit_) return;
      const TaskMessage task = task_;
      has_task_ = false;
      lock.unlock();
      ResultMessage result;
      std::exception_ptr error;
      try {
        result = run_(task);
      } catch (...) {  // an exception escaping a std::thread would std::terminate
        error = std::current_exception();
      }
      lock.lock();
      result_ = std::move(result);
      error_ = error;
      has_result_ = true;
      done_.notify_all();
    }
  }

  std::function<ResultMessage(const TaskMessage&)> run_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  TaskMessage task_;
  ResultMessage result_;
  std::exception_ptr error_;
  bool has_task_ = false, has_result_ = false, quit_ = false;
  std::thread thread_;
};

/// The running task's latest progress, written by its thread (the runner's
/// ProgressSink), read by the MPI thread for its next heartbeat.
class ProgressSlot {
 public:
  void set(const std::string& phase, double fraction) {
    std::lock_guard<std::mutex> lock(mutex_);
    phase_ = phase;
    fraction_ = fraction;
    fraction_at_ = seconds_since(start_);
    changed_ = true;
  }
  /// A new task starts now.
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    phase_.clear();
    fraction_ = -1;
    fraction_at_ = 0;
    start_ = Clock::now();
    changed_ = false;
  }
  /// Fills the heartbeat; true when the progress changed since the last call.
  bool take(HeartbeatMessage& beat) {
    std::lock_guard<std::mutex> lock(mutex_);
    beat.phase = phase_;
    beat.fraction = fraction_;
    beat.fraction_at = fraction_at_;  // the time the fraction is true of, not the beat's
    return std::exchange(changed_, false);
  }
  bool changed() {
    std::lock_guard<std::mutex> lock(mutex_);
    return changed_;
  }

 private:
  std::mutex mutex_;
  std::string phase_;
  double fraction_ = -1, fraction_at_ = 0;
  Clock::time_point start_ = Clock::now();
  bool changed_ = false;
};

}  // namespace

void worker_run(JobRunner& runner, const WorkerOptions& options) {
  const int rank = mpi_rank();
  const std::string host = host_name();
  mpi_send(0, kTagHello, encode(HelloMessage{rank, host, int64_t(::getpid()), runner.device()}));

  // Tasks run on their own thread so that this one, the only one that calls MPI, can
  // take new messages and send heartbeats while they run.
  ProgressSlot progress;
  runner.set_progress_sink([&progress](const std::string& phase, double fraction) { progress.set(phase, fraction); });
  TaskThread tasks([&](const TaskMessage& task) { return run_task(runner, task, rank, host); });
  std::deque<TaskMessage> queued;  // sent by the coordinator, not started yet (FIFO)
  bool running = false, stopping = false;
  uint64_t running_task = 0;
  auto task_start = Clock::now(), last_beat = Clock::now();
  PollBackoff idle_backoff;
  auto busy_wait = std::chrono::milliseconds(1);

  const auto start_next = [&] {
    if (running || queued.empty() || stopping) return;
    running_task = queued.front().task;
    progress.clear();
    tasks.start(queued.front());
    queued.pop_front();
    running = true;
    task_start = last_beat = Clock::now();
    busy_wait = std::chrono::milliseconds(1);
  };

  while (true) {
    bool any = false;
    while (auto message = mpi_poll(0)) {
      any = true;
      if (message->tag == kTagTask) {
        TaskMessage task;
        decode(message->bytes, task);
        queued.push_back(std::move(task));
      } else if (message->tag == kTagShutdown) {
        stopping = true;
      } else {
        throw ClusterError("rank " + std::to_string(rank) + ": unexpected message tag " + std::to_string(message->tag));
      }
    }
    start_next();

    if (running) {
      // Wake often enough to take the next task early, rarely enough to leave the core
      // to the task: 1 ms, doubling to 16 ms while the task runs.
      ResultMessage result;
      if (tasks.wait(busy_wait, result)) {
        running = false;
        start_next();  // the next task starts before the coordinator hears of this one
        mpi_send(0, kTagResult, encode(result));
        continue;
      }
      busy_wait = std::min(busy_wait * 2, std::chrono::milliseconds(16));
      // A beat every heartbeat_seconds, and soon after the task's progress changes (at
      // most one a quarter second: an epoch's end is news, a flood of them is not).
      const auto since_beat = Clock::now() - last_beat;
      if (since_beat >= std::chrono::duration<double>(options.heartbeat_seconds) ||
          (since_beat >= std::chrono::milliseconds(250) && progress.changed())) {
        HeartbeatMessage beat;
        beat.rank = rank;
        beat.task = running_task;
        beat.elapsed_seconds = seconds_since(task_start);
        progress.take(beat);
        mpi_send(0, kTagHeartbeat, encode(beat));
        last_beat = Clock::now();
      }
      continue;
    }
    if (stopping) {
      ByeMessage bye;
      bye.rank = rank;
      for (const auto& task : queued) bye.dropped.push_back(task.task);
      mpi_send(0, kTagBye, encode(bye));
      return;
    }
    if (any)
      idle_backoff.reset();
    else
      idle_backoff.sleep();
  }
}

}  // namespace clear_sweep
