#include "sweep/task_queue.h"

#include <algorithm>

#include "common/error.h"

namespace clear_sweep {

void TaskQueue::set_state(Task task, TaskState state) {
  Node& node = nodes_[task];
  --counts_[static_cast<int>(node.state)];
  node.state = state;
  ++counts_[static_cast<int>(state)];
}

TaskQueue::Task TaskQueue::add(std::string id, double cost, const std::vector<Task>& prerequisites) {
  CS_ASSERT(cost >= 0, "negative task cost for " + id);
  const Task task = nodes_.size();
  Node node;
  node.id = std::move(id);
  node.cost = cost;
  node.priority = cost;
  node.prerequisites = prerequisites;
  for (Task p : prerequisites) {
    CS_ASSERT(p < task, "prerequisite added after its dependent");
    nodes_[p].dependents.push_back(task);
    if (nodes_[p].state != TaskState::done) ++node.waiting;
    CS_ASSERT(nodes_[p].state != TaskState::failed && nodes_[p].state != TaskState::cancelled,
              "dependent added to a failed task");
  }
  node.state = TaskState::blocked;
  nodes_.push_back(std::move(node));
  ++counts_[static_cast<int>(TaskState::blocked)];
  for (Task p : prerequisites) raise_priority(p, nodes_[p].cost + nodes_[task].priority);
  if (nodes_[task].waiting == 0) {
    set_state(task, TaskState::ready);
    ready_.insert({nodes_[task].priority, task});
  }
  return task;
}

void TaskQueue::raise_priority(Task task, double priority) {
  Node& node = nodes_[task];
  if (priority <= node.priority) return;
  // The ready set is ordered by priority: take the task out before changing its key.
  const bool queued = node.state == TaskState::ready;
  if (queued) ready_.erase({node.priority, task});
  node.priority = priority;
  if (queued) ready_.insert({node.priority, task});
  for (Task p : node.prerequisites) raise_priority(p, nodes_[p].cost + priority);
}

std::optional<TaskQueue::Task> TaskQueue::pop() {
  if (ready_.empty()) return std::nullopt;
  const Task task = ready_.begin()->task;
  ready_.erase(ready_.begin());
  set_state(task, TaskState::running);
  return task;
}

std::optional<TaskQueue::Task> TaskQueue::peek() const {
  if (ready_.empty()) return std::nullopt;
  return ready_.begin()->task;
}

void TaskQueue::requeue(Task task) {
  CS_ASSERT(nodes_.at(task).state == TaskState::running, "requeue() of a task that is not running");
  set_state(task, TaskState::ready);
  ready_.insert({nodes_[task].priority, task});
}

void TaskQueue::complete(Task task) {
  CS_ASSERT(nodes_.at(task).state == TaskState::running, "complete() of a task that is not running");
  set_state(task, TaskState::done);
  for (Task d : nodes_[task].dependents) {
    Node& dependent = nodes_[d];
    CS_ASSERT(dependent.waiting > 0, "dependent count underflow");
    if (--dependent.waiting == 0 && dependent.state == TaskState::blocked) {
      set_state(d, TaskState::ready);
      ready_.insert({dependent.priority, d});
    }
  }
}

std::vector<TaskQueue::Task> TaskQueue::fail(Task task) {
  CS_ASSERT(nodes_.at(task).state == TaskState::running, "fail() of a task that is not running");
  set_state(task, TaskState::failed);
  std::vector<Task> cancelled;
  std::vector<Task> stack(nodes_[task].dependents.begin(), nodes_[task].dependents.end());
  while (!stack.empty()) {
    const Task d = stack.back();
    stack.pop_back();
    const TaskState s = nodes_[d].state;
    if (s != TaskState::blocked && s != TaskState::ready) continue;  // already cancelled
    if (s == TaskState::ready) ready_.erase({nodes_[d].priority, d});
    set_state(d, TaskState::cancelled);
    cancelled.push_back(d);
    stack.insert(stack.end(), nodes_[d].dependents.begin(), nodes_[d].dependents.end());
  }
  std::sort(cancelled.begin(), cancelled.end());
  return cancelled;
}

size_t TaskQueue::count(TaskState state) const { return counts_[static_cast<int>(state)]; }

bool TaskQueue::finished() const {
  return count(TaskState::ready) == 0 && count(TaskState::blocked) == 0 && count(TaskState::running) == 0;
}

}  // namespace clear_sweep
