#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "common/hash.h"
#include "sweep/sweep_expand.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

std::set<std::string> ids_of(const SweepPlan& plan) {
  std::set<std::string> ids;
  for (const auto& job : plan.jobs) ids.insert(job.id);
  return ids;
}

SweepPlan expand_text(const std::string& text) { return sweep_expand(sweep_parse(text, "inline.toml")); }

size_t count_method(const SweepPlan& plan, const std::string& method) {
  return std::count_if(plan.jobs.begin(), plan.jobs.end(), [&](const Job& j) { return j.method == method; });
}

const std::string kBase = R"(name = "ids"
[data]
persons = 100
images_per_person = 4
seed = 3
[model]
preset = "tiny"
[grid]
method = ["ga", "npo"]
modality = ["text", "both"]
forget_fraction = [5, 10]
seed = [0, 1]
[grid.hparams]
lr = [1e-4, 3e-4]
[grid.hparams.npo]
beta = [0.1, 0.5]
)";

}  // namespace

TEST_CASE("expansion counts are the hand-computed products") {
  // mini: 10 methods x 1 modality x 1 fraction x 1 seed x 2 lr x 3 l1_lambda.
  CHECK(sweep_expand(sweep_load(source_path("sweeps/mini.toml"))).jobs.size() == 10 * 1 * 1 * 1 * 2 * 3);
  // clear-paper: 10 methods x 3 modalities x 3 fractions x 1 seed x 2 l1_lambda.
  const SweepPlan paper = sweep_expand(sweep_load(source_path("sweeps/clear-paper.toml")));
  CHECK(paper.jobs.size() == 10 * 3 * 3 * 1 * 2);
  CHECK(paper.stages.size() == 1 + 3);
  // l1-lora: 5 methods x 2 fractions x 3 seeds x 2 lr x 5 l1_lambda, gd twice for forget_weight.
  const SweepPlan l1 = sweep_expand(sweep_load(source_path("sweeps/l1-lora.toml")));
  CHECK(l1.jobs.size() == (4 + 2) * 1 * 2 * 3 * 2 * 5);
  CHECK(count_method(l1, "gd") == 2 * 2 * 3 * 2 * 5);

  // ga: 2 modalities x 2 fractions x 2 seeds x 2 lr; npo: the same x 2 beta.
  const SweepPlan base = expand_text(kBase);
  CHECK(count_method(base, "ga") == 2 * 2 * 2 * 2);
  CHECK(count_method(base, "npo") == 2 * 2 * 2 * 2 * 2);
  CHECK(ids_of(base).size() == base.jobs.size());  // ids are unique
}

TEST_CASE("each job carries every hyperparameter of its method, defaults filled") {
  const SweepPlan plan = expand_text(kBase);
  for (const auto& job : plan.jobs) {
    CAPTURE(job_label(job));
    CHECK(job.hparams.count("l1_lambda") == 1);
    CHECK(job.real("l1_lambda") == 0.0);
    CHECK(job.integer("epochs") == 5);
    CHECK(job.hparams.count("beta") == (job.method == "npo" ? 1u : 0u));
  }
  CHECK(plan.jobs.front().method == "ga");  // method-major, file order
  CHECK(plan.jobs.back().method == "npo");
}

TEST_CASE("a method's own axis replaces a shared axis of the same name") {
  const SweepPlan plan = expand_text(R"(name = "o"
[grid]
method = ["noop"]
modality = ["text"]
forget_fraction = [5]
[grid.hparams]
seconds = [1, 2, 3]
[grid.hparams.noop]
seconds = [7]
)");
  REQUIRE(plan.jobs.size() == 1);
  CHECK(plan.jobs[0].real("seconds") == 7.0);
  CHECK(plan.jobs[0].cost == 7.0);  // noop's cost is its sleep
}

TEST_CASE("job ids are stable") {
  const auto base_ids = ids_of(expand_text(kBase));

  SECTION("under reordered keys, tables and number spellings") {
    // TOML needs top-level keys before the first table; everything else is shuffled.
    const auto ids = ids_of(expand_text(R"(name = "another-name"
[grid.hparams.npo]
beta = [0.5, 0.1]
[grid]
seed = [1, 0]
forget_fraction = [10, 5.0]
modality = ["both", "text"]
method = ["npo", "ga"]
[grid.hparams]
lr = [0.0003, 1.0e-4]
[model]
preset = "tiny"
[data]
seed = 3
images_per_person = 4
persons = 100
source = "synthetic"
[resources]
device = "cpu"
activation_checkpointing = true
)"));
    CHECK(ids == base_ids);
  }

  SECTION("when a value is added to an axis: every old id stays") {
    std::string more = kBase;
    more.replace(more.find("lr = [1e-4, 3e-4]"), 17, "lr = [1e-4, 3e-4, 1e-3]");
    more.replace(more.find("seed = [0, 1]"), 13, "seed = [0, 1, 2]");
    const auto ids = ids_of(expand_text(more));
    CHECK(ids.size() == base_ids.size() * 3 / 2 * 3 / 2);
    CHECK(std::includes(ids.begin(), ids.end(), base_ids.begin(), base_ids.end()));
  }

  SECTION("when a method is added: the other methods' ids stay") {
    std::string more = kBase;
    more.replace(more.find("method = [\"ga\", \"npo\"]"), 22, "method = [\"ga\", \"npo\", \"gd\"]");
    const auto ids = ids_of(expand_text(more));
    CHECK(std::includes(ids.begin(), ids.end(), base_ids.begin(), base_ids.end()));
  }

  SECTION("when a default is written out as a one-value axis") {
    const auto ids = ids_of(expand_text(kBase + "[grid.hparams.ga]\nepochs = [5]\nl1_lambda = [0]\n"));
    CHECK(ids == base_ids);
  }

  SECTION("but not when the experiment changes") {
    std::string other_world = kBase;
    other_world.replace(other_world.find("seed = 3"), 8, "seed = 4");
    const auto ids = ids_of(expand_text(other_world));
    CHECK(ids.size() == base_ids.size());
    for (const auto& id : ids) CHECK(base_ids.count(id) == 0);

    const auto eval_ids = ids_of(expand_text(kBase + "[eval]\nmax_items = 50\n"));
    for (const auto& id : eval_ids) CHECK(base_ids.count(id) == 0);
  }
}

TEST_CASE("the id format is pinned: results files outlive program versions") {
  // If this fails, ids already stored in users' results files no longer match: bump the
  // "v1" tags in job_canonical_text / training_context deliberately, never by accident.
  const SweepPlan plan = expand_text(R"(name = "pin"
[grid]
method = ["noop"]
modality = ["visual"]
forget_fraction = [2.5]
seed = [42]
[grid.hparams]
seconds = [0.25]
)");
  REQUIRE(plan.jobs.size() == 1);
  const std::string canonical = job_canonical_text(plan.jobs[0], "clear-sweep/training/v1|no-model");
  // (noop's own epochs, x and y came with the search, hang_rate with the time limit; every value,
  // defaults too, is in the text.)
  CHECK(canonical ==
        "clear-sweep/job/"
        "v1|method=noop|modality=visual|forget_fraction=2.5|seed=42|hparams:epochs=1,fail_rate=0,hang_rate=0,"
        "seconds=0.25,x=0.5,y=0.5|context:clear-sweep/training/v1|no-model");
  CHECK(plan.jobs[0].id == short_hash(canonical));
  // Computed independently: hashlib.sha256(canonical.encode()).hexdigest()[:16] in Python.
  CHECK(plan.jobs[0].id == "6be76a5eab5e8c3f");
  // A search rung's capped evaluation is part of what its result is; the trial and the
  // rung are bookkeeping and stay out.
  Job rung = plan.jobs[0];
  rung.trial_id = "t";
  rung.rung = 1;
  rung.resume_epochs = 1;
  CHECK(job_canonical_text(rung, "c") == job_canonical_text(plan.jobs[0], "c"));
  rung.eval_max_items = 64;
  CHECK(job_canonical_text(rung, "c") ==
        "clear-sweep/job/"
        "v1|method=noop|modality=visual|forget_fraction=2.5|seed=42|hparams:epochs=1,fail_rate=0,hang_rate=0,"
        "seconds=0.25,x=0.5,y=0.5|eval_max_items=64|context:c");
}

TEST_CASE("stages: a base model, and a gold model per forget fraction") {
  const SweepPlan plan = expand_text(kBase);
  REQUIRE(plan.stages.size() == 3);
  CHECK(plan.stages[0].kind == StageKind::finetune_base);
  CHECK(plan.stages[1].kind == StageKind::finetune_gold);
  CHECK(plan.stages[1].forget_fraction == 5);
  CHECK(plan.stages[2].forget_fraction == 10);
  CHECK(stage_label(plan.stages[2]) == "finetune_gold 10%");
  for (const auto& job : plan.jobs) {
    REQUIRE(job.needs.size() == 2);
    CHECK(job.needs[0] == plan.stages[0].id);
    CHECK(job.needs[1] == plan.stages[job.forget_fraction == 5 ? 1 : 2].id);
  }
  // Evaluation settings do not change what is trained: stage ids stay.
  const SweepPlan other_eval = expand_text(kBase + "[eval]\nmax_items = 50\n");
  for (size_t s = 0; s < plan.stages.size(); ++s) CHECK(other_eval.stages[s].id == plan.stages[s].id);
  // noop sweeps train nothing.
  CHECK(expand_text("name = \"n\"\n[grid]\nmethod = [\"noop\"]\nmodality = [\"text\"]\nforget_fraction = [5]\n")
            .stages.empty());
}

TEST_CASE("costs order the work sensibly") {
  const SweepPlan plan = expand_text(kBase);
  double ga_text = 0, ga_both = 0, npo_text = 0;
  for (const auto& job : plan.jobs) {
    if (job.forget_fraction != 5 || job.seed != 0 || job.real("lr") != 1e-4) continue;
    if (job.method == "ga") (job.modality == Modality::text ? ga_text : ga_both) = job.cost;
    if (job.method == "npo" && job.modality == Modality::text) npo_text = job.cost;
  }
  CHECK(ga_text > 0);
  CHECK(ga_both > ga_text);                          // both modalities: more forget items
  CHECK(npo_text > ga_text);                         // a retain term and a reference model
  CHECK(plan.stages[0].cost > plan.stages[1].cost);  // the base trains on everyone
}

TEST_CASE("the face kind's shadow models are stages shared by methods, fractions and shadow counts") {
  const std::string head = R"(name = "faces"
[data]
persons = 40
images_per_person = 10
[model]
preset = "resnet18-faces"
width = 16
image_size = 32
[grid]
method = ["scrub_bio", "finetune"]
modality = ["visual"]
forget_fraction = [5, 10]
)";
  const SweepPlan plan = expand_text(head + "[grid.hparams]\nshadow_models = [0, 1, 2]\n");
  // base, gold x 2, and 4 x 2 shadow models on the largest fraction's pool
  REQUIRE(plan.stages.size() == 11);
  std::vector<std::string> shadow_ids;
  for (const auto& s : plan.stages)
    if (s.kind == StageKind::train_shadow) {
      CHECK(s.forget_fraction == 10);
      CHECK(s.shadow_index == int64_t(shadow_ids.size()));
      CHECK(stage_label(s) == "train_shadow " + std::to_string(s.shadow_index));
      shadow_ids.push_back(s.id);
    }
  REQUIRE(shadow_ids.size() == 8);
  CHECK(plan.jobs.size() == 2 * 2 * 3);
  for (const auto& job : plan.jobs) {
    const int64_t n = job.integer(kShadowModelsHParam);
    CHECK(job.needs.size() == size_t(2 + 4 * n));  // base, its fraction's gold, its shadows
    for (int64_t k = 0; k < 4 * n; ++k)
      CHECK(std::find(job.needs.begin(), job.needs.end(), shadow_ids[size_t(k)]) != job.needs.end());
  }
  // Model k is the same artifact whatever the largest shadow count: a study grows.
  const SweepPlan smaller = expand_text(head + "[grid.hparams]\nshadow_models = [1]\n");
  std::vector<std::string> smaller_ids;
  for (const auto& s : smaller.stages)
    if (s.kind == StageKind::train_shadow) smaller_ids.push_back(s.id);
  REQUIRE(smaller_ids.size() == 4);
  CHECK(std::equal(smaller_ids.begin(), smaller_ids.end(), shadow_ids.begin()));
  // The pool is part of every job's meaning: a grid with a larger fraction gives its 5 %
  // jobs other ids (their attacks run on other shadow models).
  std::string only_five = head;
  only_five.replace(only_five.find("[5, 10]"), 7, "[5]");
  const SweepPlan five = expand_text(only_five + "[grid.hparams]\nshadow_models = [1]\n");
  for (const auto& job : five.jobs) CHECK(ids_of(smaller).count(job.id) == 0);
  // No attack, no shadow stage; another width, other artifacts.
  CHECK(expand_text(head).stages.size() == 3);
  std::string wider = head;
  wider.replace(wider.find("width = 16"), 10, "width = 32");
  CHECK(expand_text(wider + "[grid.hparams]\nshadow_models = [1]\n").stages[3].id != smaller_ids[0]);
}
