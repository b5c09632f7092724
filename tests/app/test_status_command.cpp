#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "app/cli.h"
#include "cli_run.h"
#include "common/exit_codes.h"
#include "store/results_store.h"
#include "sweep/sweep_expand.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

using testing::run_cli;

const std::string kSweep =
    "name = \"st\"\n[grid]\nmethod = [\"noop\"]\nmodality = [\"text\"]\nforget_fraction = [5]\nseed = [0, 1, 2, 3]\n";

/// A results file holding 3 of the 4 jobs of a noop sweep, one of them failed.
std::string make_results(const TempDir& dir, std::vector<std::string>& ids) {
  const std::string& toml = kSweep;
  const SweepSpec spec = sweep_parse(toml, "st.toml");
  const SweepPlan plan = sweep_expand(spec);
  ResultsHeader header;
  header.sweep_name = spec.name;
  header.sweep_toml = toml;
  header.context_hash = spec.context_hash();
  const std::string path = dir.file("st.h5");
  std::vector<std::string> notes;
  ResultsStore store(path, header, StoreOptions{}, notes);
  for (size_t i = 0; i < 3; ++i) {
    ResultRecord r;
    r.job_id = plan.jobs[i].id;
    r.method = "noop";
    r.status = i == 1 ? RunStatus::failed : RunStatus::ok;
    r.error = i == 1 ? "noop: injected failure" : "";
    r.worker_rank = 1;
    r.host = "node-1";
    r.finished_at = 100.0 + double(i);
    store.record(r);
    ids.push_back(r.job_id);
  }
  return path;
}

}  // namespace

TEST_CASE("status --format json counts jobs, failures and what is left of the grid") {
  TempDir dir;
  std::vector<std::string> ids;
  const std::string path = make_results(dir, ids);
  std::string out, err;
  REQUIRE(run_cli({"status", path, "--format", "json"}, out, err) == kExitOk);
  const auto j = nlohmann::json::parse(out);
  CHECK(j["sweep"] == "st");
  CHECK(j["jobs"] == 3);
  CHECK(j["ok"] == 2);
  CHECK(j["failed"] == 1);
  CHECK(j["grid_jobs"] == 4);
  CHECK(j["missing"] == 1);
  CHECK(j["by_method"]["noop"]["failed"] == 1);
  CHECK(j["job_ids"].get<std::vector<std::string>>() == ids);
  CHECK(j["failed_ids"][0] == ids[1]);
  CHECK(j["latest_failures"][0]["error"] == "noop: injected failure");
  CHECK(j["writer"]["running"] == false);
  // One job of the grid is missing: not complete. Storing it (failed or not) completes it.
  CHECK(run_cli({"status", path, "--require-complete"}, out, err) == kExitFailure);
  {
    const SweepSpec spec = sweep_parse(kSweep, "st.toml");
    ResultsHeader h;
    h.context_hash = spec.context_hash();
    std::vector<std::string> notes;
    ResultsStore store(path, h, StoreOptions{}, notes);
    ResultRecord last;
    last.job_id = sweep_expand(spec).jobs[3].id;
    last.status = RunStatus::failed;
    store.record(last);
  }
  CHECK(run_cli({"status", path, "--require-complete"}, out, err) == kExitOk);
}

TEST_CASE("status text names the counts and the latest failures") {
  TempDir dir;
  std::vector<std::string> ids;
  const std::string path = make_results(dir, ids);
  std::string out, err;
  REQUIRE(run_cli({"status", path}, out, err) == kExitOk);
  CHECK(out.find("jobs stored: 3 (ok 2, failed 1) of 4 in the grid, 1 to run") != std::string::npos);
  CHECK(out.find(ids[1] + " noop") != std::string::npos);
  CHECK(out.find("noop: injected failure") != std::string::npos);
  CHECK(out.find("writer: not running") != std::string::npos);
}

TEST_CASE("status of something that is not a results file is exit 2, naming it") {
  TempDir dir;
  std::string out, err;
  CHECK(run_cli({"status", dir.file("none.h5")}, out, err) == kExitBadInput);
  CHECK(err.find(dir.file("none.h5") + ": error: no such results file") == 0);
  const std::string text = dir.file("notes.h5");
  std::ofstream(text) << "hello\n";
  CHECK(run_cli({"status", text}, out, err) == kExitBadInput);
  CHECK(err.find(text + ": error: cannot open results file") == 0);
}
