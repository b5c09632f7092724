#include "cluster/worker.h"

#include <unistd.h>

#include <chrono>
#include <future>

#include "cluster/messages.h"
#include "cluster/mpi_comm.h"
#include "store/lock_file.h"

namespace clear_sweep {
namespace {

using Clock = std::chrono::steady_clock;

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// Runs one task; never throws: a failure is reported in the result.
ResultMessage run_task(JobRunner& runner, const TaskMessage& task, int rank, const std::string& host) {
  ResultMessage result;
  result.task = task.task;
  result.is_stage = task.is_stage;
  const auto start = Clock::now();
  if (task.is_stage) {
    try {
      runner.run_stage(task.stage);
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
  } catch (const std::exception& e) {
    r = ResultRecord{};
    r.status = RunStatus::failed;
    r.error = e.what();
    result.ok = false;
  }
  r.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.worker_rank = rank;
  r.host = host;
  r.finished_at = unix_now();
  return result;
}

}  // namespace

void worker_run(JobRunner& runner, const WorkerOptions& options) {
  const int rank = mpi_rank();
  const std::string host = host_name();
  mpi_send(0, kTagHello, encode(HelloMessage{rank, host, int64_t(::getpid()), runner.device()}));

  while (true) {
    const Envelope message = mpi_receive(0);
    if (message.tag == kTagShutdown) return;
    if (message.tag != kTagTask) throw ClusterError("rank " + std::to_string(rank) + ": unexpected message tag " +
                                                    std::to_string(message.tag));
    TaskMessage task;
    decode(message.bytes, task);

    // The task runs on its own thread so that this one, the only one that calls MPI,
    // can send heartbeats while it runs.
    const auto start = Clock::now();
    auto done = std::async(std::launch::async, [&] { return run_task(runner, task, rank, host); });
    const auto beat = std::chrono::duration<double>(options.heartbeat_seconds);
    while (done.wait_for(beat) != std::future_status::ready) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      mpi_send(0, kTagHeartbeat, encode(HeartbeatMessage{rank, task.task, elapsed}));
    }
    mpi_send(0, kTagResult, encode(done.get()));
  }
}

}  // namespace clear_sweep
