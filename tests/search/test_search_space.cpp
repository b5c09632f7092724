// [search]: its validation (file:line:col and key, as strict as the grid's), the
// samplers (bounds, log scale, reproducible under a seed, no repeats, budget-independent)
// and the driver that turns trials into jobs and scores their results.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>

#include "search/search_driver.h"
#include "search/sobol.h"
#include "search/trial_sampler.h"
#include "store/metric_columns.h"
#include "sweep/sweep_expand.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

const std::string kGrid = R"(name = "s"
[data]
persons = 40
[model]
preset = "tiny"
[grid]
method = ["ga", "npo"]
modality = ["text"]
forget_fraction = [5]
)";

const std::string kSearch = R"(
[search]
trials = 9
objective = "log_forget_quality"
[search.asha]
min_epochs = 1
max_epochs = 9
[search.space]
lr = { log_uniform = [1e-5, 1e-2] }
)";

Error search_error(const std::string& text) {
  return expect_error([&] { sweep_parse(kGrid + text, "bad.toml"); });
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

Distribution dist(DistributionKind kind, double low, double high, HParamType type = HParamType::real) {
  Distribution d;
  d.kind = kind;
  d.low = low;
  d.high = high;
  d.type = type;
  return d;
}

}  // namespace

TEST_CASE("[search] parses: space shared and per method, objective, constraint, halving") {
  const SweepSpec spec = sweep_parse(kGrid + R"(
[search]
sampler = "sobol"
seed = 3
trials = 12
objective = "log_forget_quality"
direction = "maximize"
constraint = { metric = "model_utility", min = 0.95, relative_to = "original" }
rung_max_items = 20
[search.asha]
min_epochs = 1
max_epochs = 9
eta = 3
brackets = 2
[search.space]
lr = { log_uniform = [1e-5, 1e-2] }
l1_lambda = { choice = [0, 1e-4, 1e-3] }
[search.space.npo]
beta = { uniform = [0.05, 0.5] }
lora_rank = { integer = [4, 16] }
)",
                                     "s.toml");
  REQUIRE(spec.search);
  const SearchSpec& s = *spec.search;
  CHECK(s.sampler == SamplerKind::sobol);
  CHECK(s.seed == 3);
  CHECK(s.trials == 12);
  CHECK(s.rung_max_items == 20);
  REQUIRE(s.objective.constraint);
  CHECK(*s.objective.constraint->min == 0.95);
  CHECK(s.objective.constraint->relative_to == "original");
  CHECK(s.asha->rungs(0) == std::vector<int64_t>{1, 3, 9});
  CHECK(s.asha->rungs(1) == std::vector<int64_t>{3, 9});
  CHECK(s.space_of("ga").size() == 2);
  CHECK(s.space_of("npo").size() == 4);
  CHECK(s.space_of("npo").at("lora_rank").kind == DistributionKind::integer);
  CHECK(s.space_of("ga").at("l1_lambda").choices.size() == 3);
  // A rung schedule that is not a power of eta ends at max_epochs.
  AshaSpec a;
  a.min_epochs = 2;
  a.max_epochs = 10;
  a.eta = 3;
  CHECK(a.rungs(0) == std::vector<int64_t>{2, 6, 10});
}

TEST_CASE("[search] errors name the file, line, column and key") {
  SECTION("an unknown distribution, with a suggestion") {
    const Error e = search_error(R"(
[search]
objective = "log_forget_quality"
[search.space]
lr = { log_unifrom = [1e-5, 1e-2] }
)");
    CHECK(e.where().file == "bad.toml");
    CHECK(e.where().line == 14);
    CHECK(e.key() == "search.space.lr.log_unifrom");
    CHECK(contains(e.hint(), "did you mean 'log_uniform'?"));
  }
  SECTION("a bound outside the hyperparameter's range") {
    const Error e = search_error(R"(
[search]
objective = "log_forget_quality"
[search.space]
lr = { uniform = [0, 1e-2] }
)");
    CHECK(e.key() == "search.space.lr.uniform[0]");
    CHECK(contains(e.message(), "outside the valid range (0, 1]"));
  }
  SECTION("log_uniform below zero, low above high") {
    CHECK(contains(search_error("[search]\nobjective = \"model_utility\"\n[search.space]\n"
                                "weight_decay = { log_uniform = [0, 1] }\n")
                       .message(),
                   "low > 0"));
    CHECK(contains(search_error("[search]\nobjective = \"model_utility\"\n[search.space]\n"
                                "lr = { uniform = [0.1, 0.01] }\n")
                       .message(),
                   "not below high"));
  }
  SECTION("a real distribution for an integer hyperparameter") {
    const Error e = search_error(
        "[search]\nobjective = \"model_utility\"\n[search.space]\n"
        "lora_rank = { uniform = [4, 16] }\n");
    CHECK(e.key() == "search.space.lora_rank.uniform");
    CHECK(contains(e.message(), "integer hyperparameter"));
  }
  SECTION("an unknown objective metric") {
    const Error e = search_error(
        "[search]\nobjective = \"forget_qualty\"\n[search.space]\n"
        "lr = { log_uniform = [1e-5, 1e-2] }\n");
    CHECK(e.key() == "search.objective");
    CHECK(e.where().line == 11);
    CHECK(contains(e.hint(), "did you mean 'forget_quality'?"));
  }
  SECTION("a hyperparameter both crossed in the grid and sampled") {
    const Error e = expect_error([&] { sweep_parse(kGrid + "[grid.hparams]\nlr = [1e-4]\n" + kSearch, "bad.toml"); });
    CHECK(e.key() == "search.space.lr");
    CHECK(contains(e.message(), "also a grid axis"));
  }
  SECTION("epochs sampled while halving sets them") {
    const Error e = search_error(kSearch + "epochs = { integer = [1, 9] }\n");
    CHECK(e.key() == "search.space.epochs");
    CHECK(contains(e.message(), "resource"));
  }
  SECTION("more trials than a finite space has points") {
    const Error e = search_error(R"(
[search]
trials = 7
objective = "model_utility"
[search.space]
l1_lambda = { choice = [0, 1e-4, 1e-3] }
lora_rank = { choice = [4, 8] }
)");
    CHECK(e.key() == "search.trials");
    CHECK(contains(e.message(), "only 6 distinct points"));
  }
  SECTION("a constraint without a bound, halving with one rung") {
    CHECK(
        contains(search_error(kSearch + "[search.constraint]\nmetric = \"model_utility\"\n").message(), "min or max"));
    const Error e = search_error(
        "[search]\nobjective = \"model_utility\"\n[search.asha]\nmin_epochs = 3\n"
        "max_epochs = 3\n[search.space]\nlr = { log_uniform = [1e-5, 1e-2] }\n");
    CHECK(e.key() == "search.asha.max_epochs");
  }
  SECTION("a space for a method the grid does not list") {
    const Error e = search_error(kSearch + "[search.space.rmu]\nalpha = { uniform = [1, 10] }\n");
    CHECK(e.key() == "search.space.rmu");
  }
}

TEST_CASE("samplers: inside the bounds, log scale, integers inclusive, reproducible under a seed") {
  std::map<std::string, Distribution> space;
  space["lr"] = dist(DistributionKind::log_uniform, 1e-5, 1e-1);
  space["beta"] = dist(DistributionKind::uniform, 0.1, 0.5);
  space["rank"] = dist(DistributionKind::integer, 2, 5, HParamType::integer);
  Distribution choice;
  choice.kind = DistributionKind::choice;
  choice.choices = {HParamValue(0.0), HParamValue(1e-3)};
  space["l1"] = choice;
  for (SamplerKind kind : {SamplerKind::random, SamplerKind::sobol}) {
    TrialSampler a(kind, 7, "cell", space), b(kind, 7, "cell", space), other(kind, 8, "cell", space);
    const int n = 512;
    int below_geometric_mean = 0, differs = 0;
    std::set<int64_t> ranks;
    std::set<double> l1s;
    for (int i = 0; i < n; ++i) {
      const HParams& p = a.trial(i);
      const double lr = std::get<double>(p.at("lr")), beta = std::get<double>(p.at("beta"));
      CHECK((lr >= 1e-5 && lr < 1e-1));
      CHECK((beta >= 0.1 && beta < 0.5));
      ranks.insert(std::get<int64_t>(p.at("rank")));
      l1s.insert(std::get<double>(p.at("l1")));
      below_geometric_mean += lr < 1e-3;
      CHECK(hparams_text(p) == hparams_text(b.trial(i)));
      differs += hparams_text(p) != hparams_text(other.trial(i));
    }
    // Log-uniform: half below the geometric mean of the bounds (a uniform would put 1 %).
    CHECK(std::abs(below_geometric_mean - n / 2) < (kind == SamplerKind::sobol ? 4 : 60));
    CHECK(ranks == std::set<int64_t>{2, 3, 4, 5});
    CHECK(l1s.size() == 2);
    CHECK(differs == n);
  }
}

TEST_CASE("samplers: trial i does not depend on the budget, and no setting repeats") {
  std::map<std::string, Distribution> space;
  space["rank"] = dist(DistributionKind::integer, 1, 6, HParamType::integer);
  for (SamplerKind kind : {SamplerKind::random, SamplerKind::sobol}) {
    TrialSampler few(kind, 1, "c", space), many(kind, 1, "c", space);
    std::set<int64_t> seen;
    for (int i = 0; i < 6; ++i) seen.insert(std::get<int64_t>(many.trial(i).at("rank")));
    CHECK(seen.size() == 6);  // the whole space, once each
    for (int i = 0; i < 3; ++i) CHECK(hparams_text(few.trial(i)) == hparams_text(many.trial(i)));
    CHECK_THROWS_AS(many.trial(6), Error);  // a seventh distinct setting does not exist
  }
}

TEST_CASE("Sobol: the first points are the unit square's dyadic net, and a shift keeps every point apart") {
  // Unscrambled, dimension 0 is van der Corput: 0, 1/2, 3/4, 1/4 in Gray-code order.
  CHECK(sobol_uniform(0, 0, 0) == 0.0);
  CHECK(sobol_uniform(1, 0, 0) == 0.5);
  CHECK(sobol_uniform(2, 0, 0) == 0.75);
  CHECK(sobol_uniform(3, 0, 0) == 0.25);
  // Any 2^k consecutive-from-zero points put one point in each 1/2^k slice of every
  // dimension, with or without a digital shift. (scipy's values: test_sobol_scipy.py.)
  for (int dim = 0; dim < sobol_max_dimensions(); ++dim)
    for (uint32_t shift : {0u, 0x9e3779b9u}) {
      std::set<int> slices;
      for (uint64_t i = 0; i < 64; ++i) slices.insert(int(sobol_uniform(i, dim, shift) * 64));
      CHECK(slices.size() == 64);
    }
}

TEST_CASE("the driver: jobs per trial and rung, capped evaluation below the top, scores by the objective") {
  const SweepSpec s = sweep_parse(kGrid + R"(
[eval]
max_items = 50
[search]
trials = 9
rung_max_items = 20
objective = "log_forget_quality"
constraint = { metric = "model_utility", min = 0.9, relative_to = "original" }
[search.asha]
min_epochs = 1
max_epochs = 9
[search.space]
lr = { log_uniform = [1e-5, 1e-2] }
)",
                                  "s.toml");
  const SweepPlan plan = sweep_expand(s);
  REQUIRE(plan.jobs.size() == 2);  // two cells: ga and npo
  SearchDriver driver(s, plan.jobs);
  const auto all = [](const Job&) { return true; };
  const auto first = driver.next(all);
  const auto second = driver.next(all);
  REQUIRE((first && second));
  CHECK(first->method == "ga");
  CHECK(second->method == "npo");  // the cell with fewer trials started goes next
  CHECK(first->integer("epochs") == 1);
  CHECK(first->rung == 0);
  CHECK(first->eval_max_items == 20);
  CHECK(first->needs == plan.jobs[0].needs);
  CHECK(first->id != plan.jobs[0].id);
  CHECK(first->trial_id.size() == 16);

  // Scoring: the objective, and the constraint against the Original's reference row.
  ResultRecord r;
  r.metrics["log_forget_quality"] = -3;
  r.metrics["model_utility"] = 0.5;
  r.vectors["reference_original_metrics"] = std::vector<double>(metric_columns().size(), 0.0);
  r.vectors["reference_original_metrics"][size_t(metric_column_index("model_utility"))] = 0.6;
  driver.record(*first, r);
  CHECK(r.trial_id == first->trial_id);
  CHECK(r.rung == 0);
  CHECK(r.capped_eval);
  CHECK(r.objective == -3);
  CHECK(r.constraint_margin == Approx(0.5 - 0.9 * 0.6));
  const TrialScore score = trial_score(*s.search, r);
  CHECK_FALSE(score.feasible);
  r.metrics["model_utility"] = 0.58;
  score_record(*s.search, r);
  CHECK(trial_score(*s.search, r).feasible);
  CHECK(trial_score(*s.search, r).value == -3);
  r.status = RunStatus::failed;
  CHECK(trial_score(*s.search, r).failed);

  // A rebuilt driver knows the stored trial-rung and never hands it out again.
  SearchDriver rebuilt(s, plan.jobs);
  ResultRecord stored = r;
  stored.job_id = first->id;
  stored.status = RunStatus::ok;
  CHECK(rebuilt.restore({stored}).empty());
  CHECK(rebuilt.restored() == 1);
  for (int i = 0; i < 17; ++i) {
    const auto j = rebuilt.next(all);
    REQUIRE(j);
    CHECK(j->id != first->id);
  }
  ResultRecord stranger = stored;
  stranger.trial_id = "0000000000000000";
  CHECK(contains(SearchDriver(s, plan.jobs).restore({stranger}), "1 stored trial result"));

  // plan's cost: every trial to 9 epochs, against halving's 9 + 3 + 1 trial-rungs per cell.
  const SearchCost cost = search_cost(s, plan.jobs);
  CHECK(cost.trials == 18);
  CHECK(cost.worst_jobs == 2 * 9 * 3);
  CHECK(cost.expected_jobs == 2 * (9 + 3 + 1));
  CHECK(cost.expected_cost < 0.5 * cost.worst_cost);
}
