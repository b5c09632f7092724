#include <catch2/catch.hpp>

#include <algorithm>

#include "sweep/schedule_preview.h"
#include "sweep/task_queue.h"
#include "test_support.h"

using namespace clear_sweep;

TEST_CASE("ready tasks come out longest first, ties in the order added") {
  TaskQueue q;
  q.add("a", 2);
  q.add("b", 5);
  q.add("c", 2);
  q.add("d", 9);
  std::vector<std::string> order;
  while (auto t = q.pop()) order.push_back(q.id(*t));
  CHECK(order == std::vector<std::string>{"d", "b", "a", "c"});
  CHECK(q.count(TaskState::running) == 4);
  CHECK_FALSE(q.finished());
}

TEST_CASE("a task waits for all its prerequisites") {
  TaskQueue q;
  const auto base = q.add("base", 10);
  const auto gold = q.add("gold", 8);
  const auto job = q.add("job", 1, {base, gold});
  CHECK(q.state(job) == TaskState::blocked);
  CHECK(q.pop() == base);
  CHECK(q.pop() == gold);
  CHECK_FALSE(q.pop());  // the job is not ready: nothing to hand out
  q.complete(gold);
  CHECK_FALSE(q.pop());
  q.complete(base);
  CHECK(q.state(job) == TaskState::ready);
  CHECK(q.pop() == job);
  q.complete(job);
  CHECK(q.finished());
  CHECK(q.count(TaskState::done) == 3);
}

TEST_CASE("priority counts the work waiting behind a task") {
  TaskQueue q;
  const auto stage = q.add("stage", 3);
  q.add("long-independent", 10);
  q.add("gated-1", 4, {stage});
  q.add("gated-2", 8, {stage});
  // stage: 3 + 8 = 11 > 10, so the stage goes first although it is shorter.
  CHECK(q.priority(stage) == 11);
  CHECK(q.id(*q.pop()) == "stage");
  CHECK(q.id(*q.pop()) == "long-independent");
}

TEST_CASE("a failed stage cancels everything that waits on it") {
  TaskQueue q;
  const auto base = q.add("base", 10);
  const auto gold = q.add("gold", 5);
  const auto j1 = q.add("j1", 1, {base, gold});
  const auto j2 = q.add("j2", 1, {gold});
  const auto free_job = q.add("free", 1);
  REQUIRE(q.pop() == base);
  REQUIRE(q.pop() == gold);
  const auto cancelled = q.fail(gold);
  CHECK(cancelled == std::vector<TaskQueue::Task>{j1, j2});
  CHECK(q.state(j1) == TaskState::cancelled);
  CHECK(q.pop() == free_job);  // unrelated work goes on
  q.complete(free_job);
  q.complete(base);
  CHECK_FALSE(q.pop());
  CHECK(q.finished());
  CHECK(q.count(TaskState::failed) == 1);
  CHECK(q.count(TaskState::cancelled) == 2);
}

TEST_CASE("misuse is a bug, caught by internal checks") {
  TaskQueue q;
  const auto a = q.add("a", 1);
  CHECK_THROWS_AS(q.complete(a), InternalError);  // not running
  CHECK_THROWS_AS(q.add("neg", -1), InternalError);
  CHECK_THROWS_AS(q.add("later", 1, {5}), InternalError);
}

TEST_CASE("the schedule preview simulates LPT with dependencies") {
  SweepPlan plan;
  for (double cost : {3, 3, 2, 2, 2}) {
    Job job;
    job.id = "j" + std::to_string(plan.jobs.size());
    job.cost = cost;
    plan.jobs.push_back(job);
  }
  // Two workers: 3 | 3, then 2 -> w1 (5), 2 -> w2 (5), 2 -> w1 (7).
  const SchedulePreview p = schedule_preview(plan, 3);
  CHECK(p.workers == 2);
  CHECK(p.total == 12);
  CHECK(p.makespan == 7);
  CHECK(p.efficiency == Approx(12.0 / 14.0));
  CHECK(p.per_worker[0].jobs == 3);
  CHECK(p.per_worker[1].jobs == 2);
  CHECK(p.per_worker[0].busy == 7);

  // A stage gates everything: nothing starts before it ends.
  Stage stage;
  stage.id = "s";
  stage.cost = 10;
  plan.stages.push_back(stage);
  for (auto& job : plan.jobs) job.needs = {"s"};
  const SchedulePreview gated = schedule_preview(plan, 3);
  CHECK(gated.makespan == 17);
  CHECK(gated.critical_path == 13);
  CHECK(gated.per_worker[0].stages + gated.per_worker[1].stages == 1);

  // Graham's bound for list scheduling with precedence: no worker idles while work is
  // ready, so the makespan is at most total / workers + the critical path.
  for (int ranks : {2, 5, 17, 64}) {
    CAPTURE(ranks);
    const SchedulePreview paper =
        schedule_preview(sweep_expand(sweep_load(source_path("sweeps/clear-paper.toml"))), ranks);
    CHECK(paper.makespan <= paper.total / paper.workers + paper.critical_path + 1e-6);
    CHECK(paper.makespan >= std::max(paper.total / paper.workers, paper.critical_path) - 1e-6);
    CHECK(paper.efficiency <= 1.0 + 1e-12);
  }
}

TEST_CASE("peek shows the next task without taking it") {
  TaskQueue q;
  const auto a = q.add("a", 1.0);
  const auto b = q.add("b", 5.0);
  REQUIRE(q.peek());
  CHECK(*q.peek() == b);
  CHECK(q.state(b) == TaskState::ready);
  CHECK(*q.pop() == b);
  CHECK(*q.peek() == a);
  q.pop();
  CHECK(!q.peek());
}

TEST_CASE("requeue puts a running task back among the ready ones, in its place") {
  TaskQueue q;
  q.add("a", 5);
  q.add("b", 3);
  const auto a = q.pop();
  REQUIRE(a);
  CHECK(q.state(*a) == TaskState::running);
  q.requeue(*a);  // its worker went away before starting it
  CHECK(q.state(*a) == TaskState::ready);
  CHECK(q.count(TaskState::running) == 0);
  CHECK(q.pop() == a);                     // still the longest
  CHECK_THROWS(q.requeue(q.add("c", 1)));  // only running tasks go back
}
