// Asynchronous successive halving: the promotion rule of Li et al. (2020), Algorithm 2,
// worked by hand, its asynchronous and failure cases, and that a search rebuilt from
// stored results decides as the one that stored them.
#include <catch2/catch.hpp>

#include <optional>

#include "search/asha.h"

using namespace clear_sweep;

namespace {

TrialScore value(double v) { return TrialScore{false, true, v}; }

/// Next step, which must exist; "trial@rung".
std::string step(Asha& asha, int64_t budget) {
  const auto s = asha.next(budget);
  REQUIRE(s.has_value());
  return std::to_string(s->trial) + "@" + std::to_string(s->rung);
}

}  // namespace

TEST_CASE("ASHA, eta 3, rungs 1/3/9 epochs, one worker: the hand-worked sequence") {
  // One worker asks after each result. Rung 0 scores: t0 .5, t1 .9, t2 .1, t3 .7, t4 .3,
  // t5 .8, t6 .2, t7 .6, t8 .4; rung 1: t1 .95, t5 .85, t3 .75.
  //  - t0, t1 start: fewer than eta results, so no top 1/eta yet.
  //  - t2 starts; then rung 0 holds 3 results: its top floor(3/3) = 1 is t1, promoted.
  //  - t3, t4, t5 start (the top 1 of 4 and of 5 is still t1, already promoted).
  //  - 6 results: top 2 = t1, t5; t5 is promoted.
  //  - t6, t7, t8 start; 9 results: top 3 = t1, t5, t3; t3 is promoted.
  //  - rung 1 holds 3 results: its top 1 is t1, promoted to the last rung (9 epochs).
  //  - then nothing: the budget of 9 trials is spent and every top third has moved on.
  Asha asha({{1, 3, 9}}, 3);
  const int64_t budget = 9;
  CHECK(step(asha, budget) == "0@0");
  asha.record(0, 0, value(.5));
  CHECK(step(asha, budget) == "1@0");
  asha.record(1, 0, value(.9));
  CHECK(step(asha, budget) == "2@0");
  asha.record(2, 0, value(.1));
  const auto promote = asha.next(budget);
  REQUIRE(promote);
  CHECK(promote->trial == 1);
  CHECK(promote->rung == 1);
  CHECK(promote->epochs == 3);
  CHECK(promote->resume_epochs == 1);
  CHECK_FALSE(promote->last);
  asha.record(1, 1, value(.95));
  CHECK(step(asha, budget) == "3@0");
  asha.record(3, 0, value(.7));
  CHECK(step(asha, budget) == "4@0");
  asha.record(4, 0, value(.3));
  CHECK(step(asha, budget) == "5@0");
  asha.record(5, 0, value(.8));
  CHECK(step(asha, budget) == "5@1");
  asha.record(5, 1, value(.85));
  CHECK(step(asha, budget) == "6@0");
  asha.record(6, 0, value(.2));
  CHECK(step(asha, budget) == "7@0");
  asha.record(7, 0, value(.6));
  CHECK(step(asha, budget) == "8@0");
  asha.record(8, 0, value(.4));
  CHECK(step(asha, budget) == "3@1");
  asha.record(3, 1, value(.75));
  const auto top = asha.next(budget);
  REQUIRE(top);
  CHECK(top->trial == 1);
  CHECK(top->rung == 2);
  CHECK(top->epochs == 9);
  CHECK(top->resume_epochs == 3);
  CHECK(top->last);
  CHECK_FALSE(asha.finished(budget));  // t1 is still in flight
  CHECK_FALSE(asha.next(budget).has_value());
  asha.record(1, 2, value(.99));
  CHECK(asha.finished(budget));
  CHECK(asha.results(0, 0).size() == 9);
  CHECK(asha.promoted(0, 0).size() == 3);
  CHECK(asha.promoted(0, 1).size() == 1);
  // A larger budget adds trials where this one stopped.
  CHECK(step(asha, budget + 1) == "9@0");
}

TEST_CASE("ASHA is asynchronous: promotions use the results so far, and a worker never waits while trials remain") {
  Asha asha({{1, 3, 9}}, 3);
  const int64_t budget = 20;
  // Three workers start t0..t2; none has reported.
  CHECK(step(asha, budget) == "0@0");
  CHECK(step(asha, budget) == "1@0");
  CHECK(step(asha, budget) == "2@0");
  CHECK(asha.in_flight() == 3);
  // t1 finishes first: one result, no promotion possible, so a new trial starts.
  asha.record(1, 0, value(.9));
  CHECK(step(asha, budget) == "3@0");
  asha.record(0, 0, value(.1));
  asha.record(3, 0, value(.2));
  // Three results: t1 is in the top third, promoted although t2 still runs.
  CHECK(step(asha, budget) == "1@1");
}

TEST_CASE("ASHA: a failed trial ranks last and is never promoted, and equal scores keep the earlier trial") {
  Asha asha({{1, 2}}, 2);
  const int64_t budget = 4;
  for (int t = 0; t < 2; ++t) CHECK(step(asha, budget) == std::to_string(t) + "@0");
  asha.record(0, 0, TrialScore{true, true, 0});
  asha.record(1, 0, value(-5));
  CHECK(step(asha, budget) == "1@1");  // the worse-looking value still beats a failure
  asha.record(1, 1, value(0));
  CHECK(step(asha, budget) == "2@0");
  CHECK(step(asha, budget) == "3@0");
  asha.record(3, 0, value(1));
  asha.record(2, 0, value(1));
  // 4 results, top 2: t2 and t3 tie at 1; t2 (earlier) goes first.
  CHECK(step(asha, budget) == "2@1");
  // Infeasible trials rank below every feasible one, by their margin.
  CHECK(score_better(value(-100), TrialScore{false, false, -0.01}));
  CHECK(score_better(TrialScore{false, false, -0.01}, TrialScore{false, false, -1}));
  CHECK(score_better(TrialScore{false, false, -1}, TrialScore{true, true, 0}));
}

TEST_CASE("ASHA brackets: trials are dealt in turn and bracket s starts at min x eta^s") {
  Asha asha({{1, 3, 9}, {3, 9}, {9}}, 3);
  const auto a = asha.next(9), b = asha.next(9), c = asha.next(9);
  REQUIRE((a && b && c));
  CHECK(a->epochs == 1);
  CHECK(b->epochs == 3);
  CHECK(c->epochs == 9);
  CHECK(c->last);  // the last bracket runs each trial in full: random search
}

TEST_CASE("ASHA restored from stored results decides as the run that stored them") {
  // Run A records everything; run B is killed after 7 results (with one trial-rung lost
  // in flight) and rebuilt from those 7 only.
  const std::vector<double> scores = {.3, .8, .5, .9, .1, .7, .6, .2, .4, .65, .15, .95};
  auto score_of = [&](int64_t trial, int32_t rung) { return value(scores[size_t(trial)] + 0.01 * rung); };
  Asha a({{1, 3, 9}}, 3);
  std::vector<std::pair<int64_t, int32_t>> order;
  while (auto s = a.next(12)) {
    order.push_back({s->trial, s->rung});
    a.record(s->trial, s->rung, score_of(s->trial, s->rung));
  }
  Asha b({{1, 3, 9}}, 3);
  for (size_t i = 0; i < 7; ++i) b.restore(order[i].first, order[i].second, score_of(order[i].first, order[i].second));
  for (size_t i = 7; i < order.size(); ++i) {
    const auto s = b.next(12);
    REQUIRE(s);
    CHECK(std::make_pair(s->trial, s->rung) == order[i]);
    b.record(s->trial, s->rung, score_of(s->trial, s->rung));
  }
  CHECK(b.finished(12));
  // A trial-rung lost in flight is handed out again: a worker that went away.
  Asha c({{1, 3, 9}}, 3);
  const auto lost = c.next(12);
  REQUIRE(lost);
  c.abandon(lost->trial, lost->rung);
  const auto again = c.next(12);
  REQUIRE(again);
  CHECK(again->trial == lost->trial);
}
