// The ETA's arithmetic on hand-worked schedules: calibration by finished tasks, by the
// running ones' progress, stages apart from jobs, and the queue dealt to the workers.
#include <catch2/catch.hpp>

#include <cmath>

#include "cluster/eta_estimator.h"

using namespace clear_sweep;

TEST_CASE("ETA: nothing calibrates it before a task finishes or reports progress") {
  EtaEstimator eta;
  CHECK(std::isnan(eta.seconds_left({{TaskKind::stage, 100, 5}}, {{TaskKind::job, 10}}, 2)));
  CHECK(std::isnan(eta.seconds_per_cost(TaskKind::job, {})));
  // A progress report without its time, or of almost nothing yet, says nothing either.
  CHECK(std::isnan(eta.seconds_left({{TaskKind::stage, 100, 5, 0.25, 0}}, {}, 2)));
  CHECK(std::isnan(eta.seconds_left({{TaskKind::stage, 100, 5, 0.01, 1}}, {}, 2)));
}

TEST_CASE("ETA: a finetune's epochs calibrate the stages, and the jobs until one of them finishes") {
  EtaEstimator eta;
  // Stage A (cost 100) reported a quarter done 10 s in and has run 12 s: it takes 40 s,
  // 28 left, and stages cost 0.4 s a unit. Worker 2 is free: it takes stage B (40 s).
  // Worker 1 then runs the four jobs (cost 10, so 4 s each, at the stages' rate) from
  // 28 s on: 32, 36, 40; the fourth goes to whichever is free first at 40 s: 44 s.
  const std::vector<RunningTask> running{{TaskKind::stage, 100, 12, 0.25, 10}};
  const std::vector<PendingTask> pending{{TaskKind::job, 10}, {TaskKind::stage, 100}, {TaskKind::job, 10},
                                         {TaskKind::job, 10}, {TaskKind::job, 10}};
  CHECK(eta.seconds_per_cost(TaskKind::stage, running) == Approx(0.4));
  CHECK(eta.seconds_per_cost(TaskKind::job, running) == Approx(0.4));
  CHECK(eta.seconds_left(running, pending, 2) == Approx(44));
  // Once a job has finished (cost 10 in 2 s), jobs go by their own rate: 2 s each.
  // Worker 1: 28 + 2 + 2 + 2 + 2 = 36; worker 2: stage B until 40.
  eta.finished(TaskKind::job, 10, 2);
  CHECK(eta.seconds_per_cost(TaskKind::job, running) == Approx(0.2));
  CHECK(eta.seconds_left(running, pending, 2) == Approx(40));
  // A finished stage outweighs the running one's projection: B then takes 100 x 0.5.
  eta.finished(TaskKind::stage, 100, 50);
  CHECK(eta.seconds_left(running, pending, 2) == Approx(50));
  // A task that has run past its projection is not done yet: no negative time left.
  CHECK(eta.seconds_left({{TaskKind::job, 10, 30, 0.5, 1}}, {}, 1) == Approx(0));
}

TEST_CASE("ETA: the queue is dealt longest first to the worker free soonest, as the coordinator does") {
  EtaEstimator eta;
  eta.finished(TaskKind::job, 1, 1);  // a second per unit
  // Costs 5, 4, 3, 3, 2, 1 on 2 idle workers, longest first: 5 | 4; 3 -> w2 (7);
  // 3 -> w1 (8); 2 -> w2 (9); 1 -> w1 (9): both end at 9.
  const std::vector<PendingTask> pending{{TaskKind::job, 3}, {TaskKind::job, 1}, {TaskKind::job, 5},
                                         {TaskKind::job, 2}, {TaskKind::job, 4}, {TaskKind::job, 3}};
  CHECK(eta.seconds_left({}, pending, 2) == Approx(9));
  CHECK(eta.seconds_left({}, pending, 1) == Approx(18));
  CHECK(eta.seconds_left({}, pending, 6) == Approx(5));
  CHECK(eta.seconds_left({}, {}, 2) == 0);
  // More tasks running than workers counted (a worker that left): they run in turn.
  CHECK(eta.seconds_left({{TaskKind::job, 3, 0}, {TaskKind::job, 3, 0}}, {}, 1) == Approx(6));
}
