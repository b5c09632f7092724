// TaskQueue: which stage or job to hand out next.
//
// Tasks wait until their prerequisites complete; among ready tasks the one with the
// highest priority goes first, where priority is the task's "bottom level": its cost
// plus the costliest chain of work that waits on it. Stages that gate hundreds of jobs
// therefore start first, and among jobs the longest go first (LPT), so that no worker
// is left with one long job at the end of a sweep. Ties go to the task added first.
//
// The coordinator schedules with it; `plan --ranks` simulates it (schedule_preview.h).
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace clear_sweep {

enum class TaskState { blocked, ready, running, done, failed, cancelled };

class TaskQueue {
 public:
  using Task = size_t;

  /// Adds a task; its prerequisites must already be in the queue.
  Task add(std::string id, double cost, const std::vector<Task>& prerequisites = {});

  /// The ready task of highest priority, now running; nullopt when none is ready.
  std::optional<Task> pop();
  /// The task pop() would return, left ready.
  std::optional<Task> peek() const;
  /// A running task finished: its dependents whose prerequisites are all done become ready.
  void complete(Task task);
  /// A running task goes back to the ready set (its worker went away before starting it).
  void requeue(Task task);
  /// A running task failed: every task that (transitively) waits on it is cancelled.
  /// Returns the cancelled tasks, so their jobs can be reported as failed too.
  std::vector<Task> fail(Task task);

  size_t size() const { return nodes_.size(); }
  size_t count(TaskState state) const;
  /// True when nothing is ready, blocked or running.
  bool finished() const;

  const std::string& id(Task task) const { return nodes_.at(task).id; }
  double cost(Task task) const { return nodes_.at(task).cost; }
  double priority(Task task) const { return nodes_.at(task).priority; }
  TaskState state(Task task) const { return nodes_.at(task).state; }
  const std::vector<Task>& prerequisites(Task task) const { return nodes_.at(task).prerequisites; }

 private:
  struct Node {
    std::string id;
    double cost = 0;
    double priority = 0;  ///< cost + max priority of dependents
    std::vector<Task> prerequisites;
    std::vector<Task> dependents;
    size_t waiting = 0;  ///< prerequisites not yet done
    TaskState state = TaskState::blocked;
  };
  /// Ready tasks keyed by (priority, task): highest priority first, then oldest.
  struct ReadyKey {
    double priority;
    Task task;
    bool operator<(const ReadyKey& o) const { return priority != o.priority ? priority > o.priority : task < o.task; }
  };

  void raise_priority(Task task, double priority);
  void set_state(Task task, TaskState state);

  std::vector<Node> nodes_;
  std::set<ReadyKey> ready_;
  size_t counts_[6] = {};
};

}  // namespace clear_sweep
