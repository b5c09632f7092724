#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <set>
#include <sstream>

#include "app/cli.h"
#include "cli_run.h"
#include "common/exit_codes.h"
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
  for (const char* word : {"--ranks", "--format", "--list", "sweep"}) CHECK(plan.out.find(word) != std::string::npos);
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
