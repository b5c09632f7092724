#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <sstream>

#include "app/merge_command.h"
#include "store/results_file.h"
#include "store/results_store.h"
#include "store/results_v7.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

ResultRecord record(const std::string& id, RunStatus status, double finished_at) {
  ResultRecord r;
  r.job_id = id;
  r.method = "noop";
  r.status = status;
  r.finished_at = finished_at;
  r.metrics = {{"forget_rouge", finished_at}};
  r.vectors = {{"tr", {finished_at, 1.0}}};
  return r;
}

void write_results(const std::string& path, const std::string& context, const std::vector<ResultRecord>& rows,
                   const std::string& shard = "") {
  ResultsHeader h;
  h.sweep_name = "m";
  h.context_hash = context;
  h.shard = shard;
  std::vector<std::string> notes;
  ResultsStore store(path, h, StoreOptions{}, notes);
  for (const auto& r : rows) store.record(r);
}

}  // namespace

TEST_CASE("merge: one row per job, a success over a failure, then the latest - vectors kept") {
  TempDir dir;
  write_results(dir.file("a.h5"), "ctx", {record("x", RunStatus::ok, 1), record("y", RunStatus::failed, 5)}, "0/2");
  write_results(dir.file("b.h5"), "ctx", {record("y", RunStatus::ok, 2), record("z", RunStatus::ok, 3)}, "1/2");
  // A row still only in a journal (its writer was killed before flushing) counts too.
  const pid_t child = fork();
  if (child == 0) {
    ResultsHeader h;
    h.sweep_name = "m";
    h.context_hash = "ctx";
    std::vector<std::string> notes;
    StoreOptions options;
    options.flush_seconds = 1e9;
    ResultsStore store(dir.file("c.h5"), h, options, notes);
    store.record(record("w", RunStatus::ok, 4));
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);

  MergeOptions options;
  options.out_path = dir.file("all.h5");
  options.inputs = {dir.file("a.h5"), dir.file("b.h5"), dir.file("c.h5")};
  std::ostringstream out;
  REQUIRE(merge_command(options, out) == 0);
  CHECK(out.str().find("merged 3 file(s), 5 row(s): 4 job(s) (4 ok, 0 failed)") == 0);

  const ResultsFile merged = ResultsFile::open_read_only(dir.file("all.h5"));
  CHECK(merged.header().shard.empty());
  std::map<std::string, ResultRecord> rows;
  for (auto& r : merged.read_rows()) rows[r.job_id] = r;
  REQUIRE(rows.size() == 4);
  CHECK(rows.at("y").status == RunStatus::ok);  // the success, though the failure came later
  CHECK(rows.at("y").metrics.at("forget_rouge") == 2);
  CHECK(merged.read_vectors("y").at("tr") == std::vector<double>{2, 1});
  CHECK(merged.read_vectors("w").at("tr") == std::vector<double>{4, 1});  // from the journal
}

TEST_CASE("merge refuses other experiments and existing outputs") {
  TempDir dir;
  write_results(dir.file("a.h5"), "ctx1", {record("x", RunStatus::ok, 1)});
  write_results(dir.file("b.h5"), "ctx2", {record("y", RunStatus::ok, 1)});
  MergeOptions options;
  options.out_path = dir.file("all.h5");
  options.inputs = {dir.file("a.h5"), dir.file("b.h5")};
  std::ostringstream out;
  const Error e = expect_error([&] { merge_command(options, out); });
  CHECK(e.where().file == dir.file("b.h5"));
  CHECK(e.message().find("another experiment") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("all.h5")));
  options.force = true;
  CHECK(merge_command(options, out) == 0);
  const Error again = expect_error([&] { merge_command(options, out); });
  CHECK(again.message().find("already exists") == 0);
}

TEST_CASE("merge brings a file of schema 7 to this version, which a sweep can then add to") {
  TempDir dir;
  write_results(dir.file("old.h5"), "ctx", {record("x", RunStatus::ok, 1), record("y", RunStatus::failed, 2)});
  test::downgrade_results_to_v7(dir.file("old.h5"));
  MergeOptions options;
  options.out_path = dir.file("new.h5");
  options.inputs = {dir.file("old.h5")};
  std::ostringstream out;
  REQUIRE(merge_command(options, out) == 0);
  {
    const ResultsFile merged = ResultsFile::open_read_only(dir.file("new.h5"));
    CHECK(merged.header().schema_version == kSchemaVersion);
    CHECK(merged.read_rows().size() == 2);
    CHECK(merged.read_vectors("x").at("tr") == std::vector<double>{1, 1});
  }
  write_results(dir.file("new.h5"), "ctx", {record("z", RunStatus::ok, 3)});
  CHECK(ResultsFile::open_read_only(dir.file("new.h5")).read_rows().size() == 3);
}
