#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "app/cli.h"
#include "app/plan_command.h"
#include "cli_run.h"
#include "common/exit_codes.h"
#include "data/dataset_source.h"
#include "data/items.h"
#include "sweep/job_cost.h"
#include "sweep/method_catalog.h"
#include "sweep/sweep_expand.h"
#include "test_support.h"

using namespace clear_sweep;

using Run = testing::CliRun;
const auto run = [](std::vector<std::string> args) { return testing::run_cli(std::move(args)); };

TEST_CASE("plan --format json gives counts, stages, ids and the schedule") {
  const std::string path = source_path("sweeps/clear-paper.toml");
  const Run r = run({"plan", path, "--format", "json", "--ranks", "5"});
  REQUIRE(r.code == kExitOk);
  CHECK(r.err.empty());
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["sweep"] == "clear-paper");
  CHECK(j["jobs"] == 180);
  CHECK(j["by_method"].size() == 10);
  CHECK(j["by_method"]["npo"] == 18);
  CHECK(j["by_modality"]["visual"] == 60);
  CHECK(j["by_forget_fraction"]["10"] == 60);
  CHECK(j["forget_persons"]["1"] == 2);
  CHECK(j["stages"].size() == 4);
  CHECK(j["stages"][0]["kind"] == "finetune_base");
  CHECK(j["stages"][3]["forget_fraction"] == 10);

  // The ids are exactly the expansion's, each once.
  const SweepPlan plan = sweep_expand(sweep_load(path));
  std::vector<std::string> expected;
  for (const auto& job : plan.jobs) expected.push_back(job.id);
  CHECK(j["job_ids"].get<std::vector<std::string>>() == expected);
  CHECK(std::set<std::string>(expected.begin(), expected.end()).size() == 180);
  CHECK(j["job_list"].size() == 180);
  CHECK(j["job_list"][0]["hparams"]["lr"] == 1e-5);
  CHECK(j["job_list"][0]["needs"].size() == 2);

  CHECK(j["schedule"]["workers"] == 4);
  REQUIRE(j["schedule"]["per_rank"].size() == 4);
  size_t scheduled = 0;
  for (const auto& w : j["schedule"]["per_rank"]) scheduled += w["jobs"].get<size_t>() + w["stages"].get<size_t>();
  CHECK(scheduled == 180 + 4);
  CHECK(j["schedule"]["efficiency"].get<double>() <= 1.0);
}

TEST_CASE("plan text output names the counts, stages and persons") {
  const Run r = run({"plan", source_path("sweeps/mini.toml"), "--ranks", "3", "--list"});
  REQUIRE(r.code == kExitOk);
  CHECK(r.out.find("jobs: 60") != std::string::npos);
  CHECK(r.out.find("10% (4 persons) 60") != std::string::npos);
  CHECK(r.out.find("finetune_gold 10%") != std::string::npos);
  CHECK(r.out.find("schedule on 3 ranks") != std::string::npos);
  CHECK(r.out.find("npo/both/10%/seed0") != std::string::npos);  // --list
}

TEST_CASE("a malformed sweep is one line on stderr with file:line:column, exit 2") {
  const std::string path = source_path("tests/app/fixtures/malformed.toml");
  const Run r = run({"plan", path});
  CHECK(r.code == kExitBadInput);
  CHECK(r.out.empty());
  CHECK(r.err ==
        path +
            ":7:17: error: grid.method[1]: unknown method 'dpoo' (hint: did you mean 'dpo'? valid methods: "
            "retain_ft, ga, gd, kl, idk, dpo, npo, rmu, scrub, llmu, simnpo, undial, ceu, wga, satimp, pdu, noop, "
            "finetune, retrain, neggrad, scrub_bio, twins, sparsity, face_dpo, face_llmu, face_rmu)\n");
}

TEST_CASE("bad command lines exit 2") {
  CHECK(run({"plan"}).code == kExitBadInput);  // no sweep
  CHECK(run({"plan", "/no/such.toml"}).code == kExitBadInput);
  CHECK(run({"plan", "/no/such.toml"}).err.find("/no/such.toml: error: cannot open sweep file") == 0);
  CHECK(run({"plan", source_path("sweeps/mini.toml"), "--ranks", "1"}).code == kExitBadInput);
  CHECK(run({"plan", source_path("sweeps/mini.toml"), "--format", "xml"}).code == kExitBadInput);
  CHECK(run({"frobnicate"}).code == kExitBadInput);
  CHECK(run({}).code == kExitBadInput);  // a subcommand is required
}

TEST_CASE("help lists every subcommand and option") {
  const Run top = run({"--help"});
  CHECK(top.code == kExitOk);
  for (const char* word : {"plan", "methods", "Exit codes"}) CHECK(top.out.find(word) != std::string::npos);
  const Run plan = run({"plan", "--help"});
  CHECK(plan.code == kExitOk);
  for (const char* word :
       {"--ranks", "--format", "--list", "sweep", "--step-seconds", "--decode-seconds", "--decode-batch", "--profile"})
    CHECK(plan.out.find(word) != std::string::npos);
  const Run version = run({"--version"});
  CHECK(version.code == kExitOk);
  CHECK(version.out.find("clear-sweep 0.") == 0);
}

TEST_CASE("methods lists every method with its hyperparameters") {
  const Run r = run({"methods", "--format", "json"});
  REQUIRE(r.code == kExitOk);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["methods"].size() == 26);
  CHECK(j["methods"][6]["model"] == "the VLM");
  CHECK(j["methods"][20]["name"] == "scrub_bio");
  CHECK(j["methods"][20]["model"] == "resnet18-faces");
  CHECK(j["methods"][6]["name"] == "npo");
  CHECK(j["methods"][6]["hparams"][0]["name"] == "beta");
  CHECK(j["methods"][6]["hparams"][0]["default"] == 0.1);
  CHECK(j["methods"][6]["hparams"][0]["range"] == "(0, 100]");
  const Run text = run({"methods"});
  CHECK(text.out.find("l1_lambda") != std::string::npos);
  CHECK(text.out.find("scrub_bio: cosine-embedding loss") != std::string::npos);
  CHECK(text.out.find("unlearns: resnet18-faces") != std::string::npos);
}

TEST_CASE("plan --step-seconds turns the cost into GPU-hours at the measured step") {
  const std::string path = source_path("sweeps/clear-paper.toml");
  const Run r = run({"plan", path, "--format", "json", "--step-seconds", "0.9", "--step-items", "4"});
  REQUIRE(r.code == kExitOk);
  const auto j = nlohmann::json::parse(r.out);
  // cost units are item passes: hours = units x (0.9 s / 4 items) / 3600.
  const double per_unit = 0.9 / 4 / 3600;
  CHECK(j["gpu_hours"]["grid"].get<double>() == Approx(j["cost"]["grid"].get<double>() * per_unit));
  CHECK(j["gpu_hours"]["stages"].get<double>() == Approx(j["cost"]["stages"].get<double>() * per_unit));
  const Run text = run({"plan", path, "--step-seconds", "0.9"});
  REQUIRE(text.code == kExitOk);
  CHECK(text.out.find("GPU-hours (0.9 s per step of 4 items") != std::string::npos);
  // Not a duration: exit 2 naming the flag.
  const Run bad = run({"plan", path, "--step-seconds", "-1"});
  CHECK(bad.code == kExitBadInput);
  CHECK(bad.err.find("--step-seconds") != std::string::npos);
}

TEST_CASE("plan of a search prints its trials, space, rungs and cost: worst case and under halving") {
  const std::string path = source_path("sweeps/mini-search.toml");
  const Run text = run({"plan", path});
  REQUIRE(text.code == kExitOk);
  CHECK(text.out.find("search: 2 cells (the jobs above) x 12 trials = 24 trials, random sampler, seed 0") !=
        std::string::npos);
  CHECK(text.out.find("l1_lambda       choice(0, 0.0001, 0.0002, 0.0004)") != std::string::npos);
  CHECK(text.out.find("maximize log_forget_quality subject to model_utility >= 0.95 x the original's") !=
        std::string::npos);
  CHECK(text.out.find("rungs at 1 3 9 epochs; rungs below the top evaluate 30 items per set") != std::string::npos);
  CHECK(text.out.find("every trial to the top (worst case): 72 trial-rungs") != std::string::npos);
  CHECK(text.out.find("under halving (expected):            34 trial-rungs") != std::string::npos);

  const Run json = run({"plan", path, "--format", "json", "--ranks", "3"});
  REQUIRE(json.code == kExitOk);
  const auto j = nlohmann::json::parse(json.out);
  CHECK(j["search"]["trials"] == 24);
  CHECK(j["search"]["worst"]["trial_rungs"] == 72);
  CHECK(j["search"]["expected"]["trial_rungs"] == 34);
  CHECK(j["search"]["expected"]["cost"].get<double>() < j["search"]["worst"]["cost"].get<double>() / 2);
  CHECK_FALSE(j.contains("schedule"));  // a search's jobs exist only as it runs
}

// ---------------------------------------------------------------------------------------
// The cost model's evaluation: what evaluate_model generates and scores, and its price.

namespace {

/// One evaluation set as counted: items, rows scored, tokens generated per answer.
struct SetCount {
  double items = 0, rows = 0;
  int64_t new_tokens = 0;
};
using SetCounts = std::map<std::string, SetCount>;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// `text` with every `from` replaced (one sweep file made into its variants).
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

// eval_sets and evaluate_model (eval/model_eval.cpp) restated on a built world, the
// reference the plan's counts are checked against: which sets, which items under the
// cap (an even spread; MLLMU-Bench by whole profiles), what each generates.
std::vector<ItemRef> capped(const std::vector<ItemRef>& items, int64_t max_items) {
  if (int64_t(items.size()) <= max_items) return items;
  std::vector<ItemRef> out;
  for (int64_t i = 0; i < max_items; ++i) out.push_back(items[size_t(i * int64_t(items.size()) / max_items)]);
  return out;
}

std::vector<ItemRef> capped_profiles(const Dataset& ds, const std::vector<int64_t>& persons, MllmuRole role,
                                     int64_t max_items) {
  const std::vector<ItemRef> all = mllmu_items(ds, persons, role);
  if (int64_t(all.size()) <= max_items) return all;
  for (size_t k = persons.size() - 1; k >= 1; --k) {
    std::vector<int64_t> some;
    for (size_t i = 0; i < k; ++i) some.push_back(persons[i * persons.size() / k]);
    std::vector<ItemRef> items = mllmu_items(ds, some, role);
    if (int64_t(items.size()) <= max_items) return items;
  }
  return capped(all, max_items);
}

SetCounts evaluated_sets(const Dataset& ds, const SweepSpec& spec, double fraction, Modality modality) {
  const int64_t cap = spec.eval.max_items, tokens = spec.eval.max_new_tokens;
  const bool sees_images = !text_only_preset(spec.model->preset);
  SetCounts out;
  auto add = [&](const std::string& name, const std::vector<ItemRef>& items, int64_t new_tokens) {
    if (items.empty()) return;
    SetCount c;
    c.items = double(items.size());
    c.new_tokens = new_tokens;
    for (const auto& item : items) {
      const ItemText t = item_text(ds, item);
      c.rows += double(1 + !t.paraphrased_answer.empty() + t.perturbed_answers.size());
    }
    out[name] = c;
  };
  const JobPersons persons = job_persons(ds, fraction);
  if (ds.is_mllmu()) {
    auto set = [&](const std::string& name, const std::vector<int64_t>& who, MllmuRole role) {
      const auto items = capped_profiles(ds, who, role, cap);
      for (auto [task, task_name] : {std::pair{MllmuTask::choice, " choice"}, std::pair{MllmuTask::cloze, " cloze"},
                                     std::pair{MllmuTask::generation, " generation"}}) {
        std::vector<ItemRef> group;
        for (const auto& item : items)
          if (ds.mllmu[size_t(item.index)].task == task) group.push_back(item);
        add(name + task_name, group, task == MllmuTask::choice ? std::min<int64_t>(tokens, 4) : tokens);
      }
    };
    set("mllmu_forget", persons.forget, MllmuRole::eval);
    set("mllmu_test", persons.forget, MllmuRole::test);
    set("mllmu_retain", persons.retain, MllmuRole::eval);
    set("mllmu_celebrity", ds.splits.celebrity, MllmuRole::eval);
    return out;
  }
  const std::set<int64_t> scored(ds.splits.retain_scored.begin(), ds.splits.retain_scored.end());
  std::vector<int64_t> retained;
  for (int64_t id : persons.retain)
    if (!ds.is_tofu() || scored.empty() || scored.count(id)) retained.push_back(id);
  add("forget", capped(person_items(ds, persons.forget, modality), cap), tokens);
  add("retain", capped(person_items(ds, retained, modality), cap), tokens);
  add("holdout", capped(person_items(ds, ds.splits.holdout, modality), cap), 0);
  const int64_t names = std::min<int64_t>(tokens, 16);
  if (sees_images) {
    add("forget_faces", capped(face_items(ds, persons.forget), cap), names);
    add("retain_faces", capped(face_items(ds, persons.retain), cap), names);
    add("holdout_faces", capped(face_items(ds, ds.splits.holdout), cap), names);
  }
  auto asked = [&](const std::vector<ItemRef>& items) { return sees_images ? items : text_only_items(ds, items); };
  add("real_faces", capped(asked(real_face_items(ds)), cap), 0);
  add("real_world", capped(asked(real_world_items(ds)), cap), ds.is_tofu() ? tokens : 0);
  if (ds.is_tofu()) add("real_authors", capped(real_author_items(ds), cap), tokens);
  return out;
}

/// The first job of a sweep text and its cost's parts.
struct FirstJob {
  SweepSpec spec;
  Job job;
  JobCost cost;
};
FirstJob first_job(const std::string& text) {
  FirstJob f{sweep_parse(text, "variant.toml"), {}, {}};
  f.job = sweep_expand(f.spec).jobs.at(0);
  f.cost = job_cost_parts(f.spec, *method_find(f.job.method), f.job);
  return f;
}

SetCounts planned_sets(const EvalWork& work) {
  SetCounts out;
  for (const auto& s : work.sets) out[s.name] = {s.items, s.score_rows, s.new_tokens};
  return out;
}

void check_same_sets(const SetCounts& planned, const SetCounts& evaluated) {
  std::vector<std::string> planned_names, evaluated_names;
  for (const auto& [name, c] : planned) planned_names.push_back(name);
  for (const auto& [name, c] : evaluated) evaluated_names.push_back(name);
  CHECK(planned_names == evaluated_names);
  for (const auto& [name, c] : evaluated) {
    if (!planned.count(name)) continue;
    INFO("set " << name);
    CHECK(planned.at(name).items == Approx(c.items));
    CHECK(planned.at(name).rows == Approx(c.rows));
    CHECK(planned.at(name).new_tokens == c.new_tokens);
  }
}

}  // namespace

TEST_CASE("plan counts the answers evaluate_model generates, set by set, on the synthetic worlds") {
  const std::string mini = read_text(source_path("sweeps/mini.toml"));
  const std::string tofu = read_text(source_path("sweeps/tofu-mini.toml"));
  const std::string mllmu = read_text(source_path("sweeps/mllmu-mini.toml"));
  const std::vector<std::pair<const char*, std::string>> variants = {
      {"mini: both, 100 items a set, 24 tokens", mini},
      {"mini: uncapped", replaced(mini, "max_items = 100", "max_items = 100000")},
      {"mini: text, 30 items",
       replaced(replaced(mini, "max_items = 100", "max_items = 30"), "[\"both\"]", "[\"text\"]")},
      {"mini: visual, 8 tokens (faces under their 16)",
       replaced(replaced(mini, "max_new_tokens = 24", "max_new_tokens = 8"), "[\"both\"]", "[\"visual\"]")},
      {"mini: forget 5 % with attacks",
       replaced(replaced(mini, "forget_fraction = [10]", "forget_fraction = [5]"), "max_new_tokens = 24",
                "max_new_tokens = 24\nattacks = [\"quant8\", \"relearn\"]")},
      {"tofu-mini: a text-only model", tofu},
      {"tofu-mini: uncapped", replaced(tofu, "max_items = 100", "max_items = 100000")},
      {"mllmu-mini: retain capped by whole profiles", mllmu},
      {"mllmu-mini: 30 items", replaced(mllmu, "max_items = 100", "max_items = 30")},
  };
  for (const auto& [label, text] : variants) {
    INFO(label);
    const FirstJob f = first_job(text);
    const LoadedData data = load_data(*f.spec.data);
    SetCounts evaluated = evaluated_sets(data.dataset, f.spec, f.job.forget_fraction, f.job.modality);
    SetCounts planned = planned_sets(f.cost.eval);
    const AttackSpec& attacks = f.spec.eval.attacks;
    if (!attacks.names.empty()) {
      // The attacks score the forget set again (relearn: the part not relearned, before and after).
      const SetCount forget = evaluated.at("forget");
      evaluated["quant8 forget"] = forget;
      const double relearned = std::floor(forget.items * attacks.relearn_fraction);
      SetCount rest = forget;
      rest.items -= relearned;
      rest.rows = forget.rows / forget.items * rest.items;  // mini's items all score 5 rows
      evaluated["relearn_before forget"] = evaluated["relearn forget"] = rest;
      CHECK(f.cost.eval.attack_train_items ==
            double(attacks.relearn_steps) * std::min(double(attacks.relearn_batch_size), relearned));
    }
    check_same_sets(planned, evaluated);
    if (!data.dataset.is_mllmu()) {  // GradNorm: one forward+backward per forget and holdout item
      CHECK(f.cost.eval.gradient_items == evaluated.at("forget").items + evaluated.at("holdout").items);
    }
    double answers = 0;
    for (const auto& [name, c] : evaluated)
      if (c.new_tokens > 0) answers += c.items;
    CHECK(f.cost.eval.answers() == Approx(answers));
    CHECK(answers > 0);
    // The scheduler's number is the parts' sum.
    CHECK(f.job.cost == Approx(f.cost.total()));
    CHECK(f.cost.total() == Approx(f.cost.train + f.cost.eval.units()));
  }
}

TEST_CASE("every job's cost is its unlearning plus its evaluation, and references are two evaluations") {
  const SweepSpec spec = sweep_load(source_path("sweeps/clear-paper.toml"));
  const SweepPlan plan = sweep_expand(spec);
  for (const auto& job : plan.jobs) {
    const MethodInfo& method = *method_find(job.method);
    const JobCost cost = job_cost_parts(spec, method, job);
    CHECK(job.cost == Approx(cost.total()));
    CHECK(cost.train > 0);
    const EvalWork references = reference_eval_work(spec, method, job);
    CHECK(references.answers() == Approx(2 * cost.eval.answers()));
    CHECK(references.units() == Approx(2 * cost.eval.units()));
  }
}

namespace {

/// A mini.toml variant at `tokens` new tokens, in `dir`.
std::string write_mini(const TempDir& dir, int64_t tokens) {
  const std::string path = dir.file("mini-" + std::to_string(tokens) + ".toml");
  std::ofstream(path) << replaced(read_text(source_path("sweeps/mini.toml")), "max_new_tokens = 24",
                                  "max_new_tokens = " + std::to_string(tokens));
  return path;
}

nlohmann::json plan_json(std::vector<std::string> args) {
  args.insert(args.begin(), "plan");
  args.insert(args.end(), {"--format", "json"});
  const Run r = run(args);
  INFO(r.err);
  REQUIRE(r.code == kExitOk);
  return nlohmann::json::parse(r.out);
}

}  // namespace

TEST_CASE("plan prices generation per batch: a prefill and max_new_tokens decoding steps at --decode-seconds") {
  TempDir dir;
  const double step = 0.4, decode = 0.05;
  const int64_t step_items = 4, batch = 16;
  for (int64_t tokens : {8, 24, 64}) {
    INFO("max_new_tokens " << tokens);
    const std::string path = write_mini(dir, tokens);
    // The reference: the sets evaluate_model scores on this world, each decoded in
    // batches of at most `batch` prompts.
    const SweepSpec spec = sweep_load(path);
    const SweepPlan plan = sweep_expand(spec);
    const LoadedData data = load_data(*spec.data);
    const SetCounts sets = evaluated_sets(data.dataset, spec, 10, Modality::both);
    double answers = 0, steps = 0, rows = 0;
    for (const auto& [name, c] : sets) {
      rows += c.rows;
      if (c.new_tokens == 0) continue;
      answers += c.items;
      steps += std::ceil(c.items / double(batch)) * double(c.new_tokens);
    }
    const double unit = step / double(step_items), jobs = double(plan.jobs.size());
    const double gradient = sets.at("forget").items + sets.at("holdout").items;

    const auto j = plan_json({path, "--step-seconds", "0.4", "--step-items", "4", "--decode-seconds", "0.05",
                              "--decode-batch", std::to_string(batch)});
    CHECK(j["evaluation"]["answers"].get<double>() == Approx(jobs * answers));
    CHECK(j["evaluation"]["decode_steps"].get<double>() == Approx(jobs * steps));
    CHECK(j["evaluation"]["score_rows"].get<double>() == Approx(jobs * rows));
    const auto& h = j["gpu_hours"];
    CHECK(h["eval_priced_as"] == "decode_steps");
    CHECK(h["eval_generation"].get<double>() == Approx(jobs * (answers / 3 * unit + steps * decode) / 3600));
    CHECK(h["eval_scoring"].get<double>() == Approx(jobs * (rows / 3 + gradient) * unit / 3600));
    // One (fraction, modality): the Original and the Gold, evaluated once each.
    CHECK(h["references"].get<double>() == Approx(2 * h["eval"].get<double>() / jobs));
  }
}

TEST_CASE("plan evaluation hours grow linearly with decode seconds and with max_new_tokens") {
  TempDir dir;
  auto generation = [&](int64_t tokens, const std::string& decode) {
    return plan_json({write_mini(dir, tokens), "--step-seconds", "0.4", "--decode-seconds", decode, "--decode-batch",
                      "16"})["gpu_hours"]["eval_generation"]
        .get<double>();
  };
  // In the decoding step's time: the slope is the decoding steps, the intercept the prefills.
  const double g1 = generation(24, "0.05"), g2 = generation(24, "0.1"), g4 = generation(24, "0.2");
  CHECK(g2 > g1);
  CHECK(g4 - g2 == Approx(2 * (g2 - g1)));
  const auto j =
      plan_json({write_mini(dir, 24), "--step-seconds", "0.4", "--decode-seconds", "0.05", "--decode-batch", "16"});
  CHECK((g2 - g1) * 3600 / 0.05 == Approx(j["evaluation"]["decode_steps"].get<double>()));
  // In max_new_tokens: every generated set's steps scale with it up to 16 (faces stop at
  // a name's 16 tokens), the QA sets' beyond.
  const double t4 = generation(4, "0.1"), t8 = generation(8, "0.1"), t16 = generation(16, "0.1");
  const double t32 = generation(32, "0.1"), t64 = generation(64, "0.1");
  const double prefill = g1 - (g2 - g1);  // the same answers at any length
  CHECK(t8 - prefill == Approx(2 * (t4 - prefill)));
  CHECK(t16 - prefill == Approx(2 * (t8 - prefill)));
  CHECK(t64 - t32 == Approx(2 * (t32 - t16)));
  CHECK(t64 - t32 < t32 - prefill);  // the faces' share stays
  // Without a decoding step, generation is priced as forward passes: one unit an answer,
  // whatever its length.
  auto forward = [&](int64_t tokens) {
    return plan_json({write_mini(dir, tokens), "--step-seconds", "0.4"})["gpu_hours"]["eval_generation"].get<double>();
  };
  CHECK(forward(64) == Approx(forward(8)));
}

TEST_CASE("plan gpu_hours splits training and evaluation and keeps its old keys") {
  const std::string path = source_path("sweeps/clear-paper.toml");
  const auto old = plan_json({path, "--step-seconds", "0.2839", "--step-items", "4"});
  const auto h = old["gpu_hours"];
  const double unit = 0.2839 / 4 / 3600;
  CHECK(h["eval_priced_as"] == "forward_passes");
  CHECK(h["decode_seconds"].is_null());
  CHECK(h["stages"].get<double>() == Approx(old["cost"]["stages"].get<double>() * unit));
  CHECK(h["grid"].get<double>() == Approx(old["cost"]["grid"].get<double>() * unit));
  CHECK(h["train"].get<double>() == Approx(old["cost"]["grid_train"].get<double>() * unit));
  CHECK(h["eval"].get<double>() == Approx(old["cost"]["grid_eval"].get<double>() * unit));
  CHECK(h["references"].get<double>() == Approx(old["cost"]["references"].get<double>() * unit));
  CHECK(h["grid"].get<double>() == Approx(h["train"].get<double>() + h["eval"].get<double>()));
  CHECK(h["eval"].get<double>() == Approx(h["eval_scoring"].get<double>() + h["eval_generation"].get<double>()));
  CHECK(h["total"].get<double>() ==
        Approx(h["stages"].get<double>() + h["grid"].get<double>() + h["references"].get<double>()));
  CHECK(h["step_items"] == 4);
  CHECK(h["decode_batch"] == 64);  // the evaluator's generation batch

  const auto honest = plan_json({path, "--step-seconds", "0.2839", "--decode-seconds", "0.098", "--decode-batch", "4"});
  const auto g = honest["gpu_hours"];
  CHECK(g["eval_priced_as"] == "decode_steps");
  CHECK(g["decode_seconds"] == 0.098);
  CHECK(g["decode_batch"] == 4);
  CHECK(g["train"].get<double>() == Approx(h["train"].get<double>()));  // training is priced alike
  CHECK(g["stages"].get<double>() == Approx(h["stages"].get<double>()));
  CHECK(g["eval_scoring"].get<double>() == Approx(h["eval_scoring"].get<double>()));
  CHECK(g["eval_generation"].get<double>() > 5 * h["eval_generation"].get<double>());  // 64 tokens at batch 4
  CHECK(g["total"].get<double>() ==
        Approx(g["stages"].get<double>() + g["grid"].get<double>() + g["references"].get<double>()));

  // Text: the parts apart, and a word on the old pricing where no decoding step is given.
  const Run text = run({"plan", path, "--step-seconds", "0.2839"});
  REQUIRE(text.code == kExitOk);
  for (const char* line : {"  stages ", "  grid training ", "  grid evaluation ", "  references ", "  total "})
    CHECK(text.out.find(line) != std::string::npos);
  CHECK(text.out.find("evaluation is priced as forward passes") != std::string::npos);
  CHECK(text.out.find("--decode-seconds") != std::string::npos);
  const Run decoded = run({"plan", path, "--step-seconds", "0.2839", "--decode-seconds", "0.098"});
  REQUIRE(decoded.code == kExitOk);
  CHECK(decoded.out.find("0.098 s per decoding step of up to 64 answers") != std::string::npos);
  CHECK(decoded.out.find("evaluation is priced as forward passes") == std::string::npos);
  // A decoding step alone prices nothing: exit 2, naming the flag.
  const Run alone = run({"plan", path, "--decode-seconds", "0.098"});
  CHECK(alone.code == kExitBadInput);
  CHECK(alone.err.find("--decode-seconds") != std::string::npos);
  CHECK(run({"plan", path, "--step-seconds", "0.3", "--decode-batch", "0"}).code == kExitBadInput);
}

TEST_CASE("plan --profile sets the measured device and flags given win over it") {
  TempDir dir;
  const std::string path = source_path("sweeps/mini.toml"), profile = dir.file("profile.json");
  std::ofstream(profile) << R"({"step_seconds": 0.4, "step_items": 8, "decode_seconds": 0.05, "decode_batch": 16,
                               "gpu": "NVIDIA H200", "preset": "tiny"})";
  const auto p = plan_json({path, "--profile", profile})["gpu_hours"];
  CHECK(p["step_seconds"] == 0.4);
  CHECK(p["step_items"] == 8);
  CHECK(p["decode_seconds"] == 0.05);
  CHECK(p["decode_batch"] == 16);
  CHECK(p["eval_priced_as"] == "decode_steps");
  // The same as the flags.
  const auto flags = plan_json({path, "--step-seconds", "0.4", "--step-items", "8", "--decode-seconds", "0.05",
                                "--decode-batch", "16"})["gpu_hours"];
  CHECK(p["total"].get<double>() == Approx(flags["total"].get<double>()));
  // Flags win, one by one; the rest stays the profile's.
  const auto mixed =
      plan_json({path, "--profile", profile, "--decode-seconds", "0.1", "--step-items", "4"})["gpu_hours"];
  CHECK(mixed["step_seconds"] == 0.4);
  CHECK(mixed["step_items"] == 4);
  CHECK(mixed["decode_seconds"] == 0.1);
  CHECK(mixed["decode_batch"] == 16);
  CHECK(mixed["eval_generation"].get<double>() > p["eval_generation"].get<double>());
  const auto flags_mixed = plan_json({path, "--step-seconds", "0.4", "--step-items", "4", "--decode-seconds", "0.1",
                                      "--decode-batch", "16"})["gpu_hours"];
  CHECK(mixed["total"].get<double>() == Approx(flags_mixed["total"].get<double>()));
  const DeviceTimes loaded = plan_profile_load(profile);
  CHECK(loaded.step_seconds == 0.4);
  CHECK(loaded.step_items == 8);
  CHECK(loaded.decode_seconds == 0.05);
  CHECK(loaded.decode_batch == 16);
}

TEST_CASE("plan --profile errors name the file and the key, exit 2") {
  TempDir dir;
  const std::string sweep = source_path("sweeps/mini.toml");
  const std::string good = R"("step_seconds": 0.4, "step_items": 4, "decode_seconds": 0.05)";
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      // file contents, the key named, what it says
      {"{" + good + "}", "decode_batch", "missing"},
      {"{" + good + R"(, "decode_batch": 2.5})", "decode_batch", "whole number"},
      {R"({"step_seconds": -1, "step_items": 4, "decode_seconds": 0.05, "decode_batch": 4})", "step_seconds", "> 0"},
      {R"({"step_seconds": "fast", "step_items": 4, "decode_seconds": 0.05, "decode_batch": 4})", "step_seconds",
       "> 0"},
      {R"({"step_seconds": 0.4, "step_items": 4, "decode_seconds": 0, "decode_batch": 4})", "decode_seconds", "> 0"},
      {"[0.4, 4]", "--profile", "a JSON object"},
      {"{\"step_seconds\": ", "--profile", "not JSON"},
  };
  int n = 0;
  for (const auto& [contents, key, says] : cases) {
    const std::string profile = dir.file("profile-" + std::to_string(n++) + ".json");
    std::ofstream(profile) << contents;
    INFO(contents);
    const Run r = run({"plan", sweep, "--profile", profile});
    CHECK(r.code == kExitBadInput);
    CHECK(r.out.empty());
    CHECK(r.err.find(profile + ": error: " + key + ": ") == 0);
    CHECK(r.err.find(says) != std::string::npos);
  }
  const Run missing = run({"plan", sweep, "--profile", dir.file("none.json")});
  CHECK(missing.code == kExitBadInput);
  CHECK(missing.err.find(dir.file("none.json") + ": error: --profile: cannot open") == 0);
  // A bad profile is refused even where flags would replace every key.
  const Run flags = run({"plan", sweep, "--profile", dir.file("none.json"), "--step-seconds", "0.3"});
  CHECK(flags.code == kExitBadInput);
}
