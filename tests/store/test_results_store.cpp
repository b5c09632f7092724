#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "store/journal.h"
#include "store/lock_file.h"
#include "store/results_file.h"
#include "store/results_store.h"
#include "store/results_v7.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

ResultRecord make_record(const std::string& id, RunStatus status = RunStatus::ok) {
  ResultRecord r;
  r.job_id = id;
  r.method = "npo";
  r.modality = "both";
  r.forget_fraction = 5;
  r.seed = 3;
  r.hparams = "beta=0.1 lr=0.0001";
  r.context_hash = "ctx1";
  r.status = status;
  r.error = status == RunStatus::failed ? "boom: \"quoted\"\nsecond line" : "";
  r.warnings = status == RunStatus::ok ? "out of GPU memory: retried with micro-batch 2 x 4 accumulation" : "";
  r.wall_seconds = 1.5;
  r.load_seconds = 0.25;
  r.unlearn_seconds = 1.0;
  r.eval_seconds = 0.25;
  r.worker_rank = 2;
  r.host = "node-7";
  r.finished_at = 1.7e9;
  r.tokens = 123456;
  r.peak_memory_mb = 512;
  r.gpu_name = "NVIDIA H100 80GB HBM3";
  r.gpu_uuid = "GPU-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9";
  r.peak_gpu_allocated_mb = 20480.5;
  r.peak_gpu_reserved_mb = 24576;
  r.tokens_per_second = 10250.25;
  r.metrics = {{"forget_rouge", 0.25}, {"model_utility", 0.75}};
  r.vectors = {{"forget_truth_ratios", {0.5, 1.5, 2.0}}, {"loss_curve", {3.0, 2.0}}};
  return r;
}

ResultsHeader header(const std::string& context = "ctx1") {
  ResultsHeader h;
  h.sweep_name = "t";
  h.sweep_toml = "name = \"t\"\n";
  h.context_hash = context;
  h.program_version = "0.1.0";
  h.created_at = "2026-01-01T00:00:00Z";
  return h;
}

void check_same(const ResultRecord& a, const ResultRecord& b) {
  CHECK(a.job_id == b.job_id);
  CHECK(a.method == b.method);
  CHECK(a.modality == b.modality);
  CHECK(a.forget_fraction == b.forget_fraction);
  CHECK(a.seed == b.seed);
  CHECK(a.hparams == b.hparams);
  CHECK(a.context_hash == b.context_hash);
  CHECK(a.status == b.status);
  CHECK(a.error == b.error);
  CHECK(a.warnings == b.warnings);
  CHECK(a.wall_seconds == b.wall_seconds);
  CHECK(a.worker_rank == b.worker_rank);
  CHECK(a.host == b.host);
  CHECK(a.tokens == b.tokens);
  CHECK(a.peak_memory_mb == b.peak_memory_mb);
  CHECK(a.gpu_name == b.gpu_name);
  CHECK(a.gpu_uuid == b.gpu_uuid);
  CHECK(a.peak_gpu_allocated_mb == b.peak_gpu_allocated_mb);
  CHECK(a.peak_gpu_reserved_mb == b.peak_gpu_reserved_mb);
  CHECK(a.tokens_per_second == b.tokens_per_second);
  CHECK(a.metrics == b.metrics);
}

/// What another process (`clear-sweep status`) sees of a file this process writes:
/// runs tests/store/snapshot_probe and returns its unflushed count (-1 on failure).
int unflushed_seen_by_another_process(const std::string& path) {
  const std::string command = std::string(SNAPSHOT_PROBE) + " " + path;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  size_t rows = 0, unflushed = 0;
  const int fields = fscanf(pipe, "%zu %zu", &rows, &unflushed);
  const int status = pclose(pipe);
  return fields == 2 && status == 0 ? int(unflushed) : -1;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("results file: rows and vectors round trip, unmeasured metrics stay absent") {
  TempDir dir;
  const std::string path = dir.file("r.h5");
  {
    ResultsFile f = ResultsFile::create(path, header());
    f.write({make_record("a"), make_record("b", RunStatus::failed)});
    f.flush();
  }
  const ResultsFile f = ResultsFile::open_read_only(path);
  CHECK(f.header().sweep_name == "t");
  CHECK(f.header().context_hash == "ctx1");
  CHECK(f.header().schema_version == kSchemaVersion);
  const auto rows = f.read_rows();
  REQUIRE(rows.size() == 2);
  check_same(rows[0], make_record("a"));
  check_same(rows[1], make_record("b", RunStatus::failed));
  CHECK(rows[0].metrics.count("retain_rouge") == 0);  // NaN in the file, absent here
  const auto vectors = f.read_vectors("a");
  CHECK(vectors.at("forget_truth_ratios") == std::vector<double>{0.5, 1.5, 2.0});
  CHECK(vectors.at("loss_curve") == std::vector<double>{3.0, 2.0});
  CHECK(f.read_vectors("nope").empty());
}

TEST_CASE("results file: a retried job replaces its row, never adds one") {
  TempDir dir;
  const std::string path = dir.file("r.h5");
  ResultsFile f = ResultsFile::create(path, header());
  f.write({make_record("a", RunStatus::failed), make_record("b")});
  ResultRecord retried = make_record("a");
  retried.metrics = {{"forget_rouge", 0.5}};
  retried.vectors = {{"only", {1.0}}};
  f.write({retried, make_record("c")});
  f.flush();
  const auto rows = f.read_rows();
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].job_id == "a");
  CHECK(rows[0].status == RunStatus::ok);
  CHECK(rows[0].metrics.at("forget_rouge") == 0.5);
  CHECK(rows[2].job_id == "c");
  const auto vectors = f.read_vectors("a");
  CHECK(vectors.size() == 1);  // the failed attempt's vectors are gone
  CHECK(f.row_count() == 3);
  CHECK(f.index().at("a").row == 0);
  CHECK(f.index().at("a").status == RunStatus::ok);  // the index follows the retry
}

TEST_CASE("results file: a file of schema 7 (before warnings) stays readable, and is refused for writing") {
  TempDir dir;
  const std::string path = dir.file("old.h5");
  {
    ResultsFile f = ResultsFile::create(path, header());
    f.write({make_record("a"), make_record("b", RunStatus::failed)});
    f.flush();
  }
  test::downgrade_results_to_v7(path);
  {
    const ResultsFile f = ResultsFile::open_read_only(path);
    CHECK(f.header().schema_version == 7);
    CHECK(f.header().sweep_name == "t");
    const auto rows = f.read_rows();
    REQUIRE(rows.size() == 2);
    ResultRecord a = make_record("a");
    a.warnings.clear();  // the column did not exist
    check_same(rows[0], a);
    check_same(rows[1], make_record("b", RunStatus::failed));
    CHECK(f.read_vectors("a").at("loss_curve") == std::vector<double>{3.0, 2.0});
  }
  CHECK(results_snapshot(path).rows.size() == 2);  // what status, report and merge read
  // Rows are written in this version's layout only: appending is refused, naming the way on.
  const Error e = expect_error([&] { ResultsFile::open_for_append(path); });
  CHECK(e.message().find("schema version 7") != std::string::npos);
  CHECK(e.hint().find("clear-sweep merge") != std::string::npos);
  std::vector<std::string> notes;
  CHECK_THROWS_AS(ResultsStore(path, header(), StoreOptions{}, notes), Error);
}

TEST_CASE("results file: bugs and bad files are refused") {
  TempDir dir;
  const std::string path = dir.file("r.h5");
  ResultsFile f = ResultsFile::create(path, header());
  ResultRecord bad = make_record("x");
  bad.metrics["no_such_metric"] = 1;
  CHECK_THROWS_AS(f.write({bad}), InternalError);
  CHECK_THROWS_AS(f.write({make_record("y"), make_record("y")}), InternalError);

  // Never overwritten: create on an existing path fails and leaves it as it was.
  const std::string text_file = dir.file("notes.h5");
  std::ofstream(text_file) << "my notes\n";
  const Error exists = expect_error([&] { ResultsFile::create(text_file, header()); });
  CHECK(exists.where().file == text_file);
  CHECK(read_text(text_file) == "my notes\n");
  // Not HDF5 at all, and HDF5 but not ours.
  CHECK(expect_error([&] { ResultsFile::open_read_only(text_file); }).message().find("cannot open results file") == 0);
}

TEST_CASE("journal: records round trip as JSON lines, NaN included") {
  ResultRecord r = make_record("a", RunStatus::failed);
  r.metrics["forget_prob"] = std::nan("");
  r.vectors["with_nan"] = {1.0, std::nan("")};
  const ResultRecord back = record_from_json(record_to_json(r));
  CHECK(record_to_json(r).find('\n') == std::string::npos);
  CHECK(back.error == r.error);
  ResultRecord warned = make_record("w");
  CHECK(record_from_json(record_to_json(warned)).warnings == warned.warnings);
  CHECK(record_to_json(r).find("warnings") == std::string::npos);  // none: the line stays as it was
  CHECK(std::isnan(back.metrics.at("forget_prob")));
  CHECK(back.vectors.at("with_nan")[0] == 1.0);
  CHECK(std::isnan(back.vectors.at("with_nan")[1]));
  CHECK(back.tokens == r.tokens);
  CHECK(back.gpu_name == r.gpu_name);
  CHECK(back.gpu_uuid == r.gpu_uuid);
  CHECK(back.peak_gpu_allocated_mb == r.peak_gpu_allocated_mb);
  CHECK(back.peak_gpu_reserved_mb == r.peak_gpu_reserved_mb);
  CHECK(back.tokens_per_second == r.tokens_per_second);
  // A line written before the GPU fields existed reads as a CPU job.
  auto old = nlohmann::json::parse(record_to_json(r));
  for (const char* key : {"gpu_name", "gpu_uuid", "peak_gpu_allocated_mb", "peak_gpu_reserved_mb", "tokens_per_second"})
    old.erase(key);
  const ResultRecord old_back = record_from_json(old.dump());
  CHECK(old_back.gpu_name.empty());
  CHECK(old_back.tokens_per_second == 0);
  CHECK(old_back.tokens == r.tokens);
}

TEST_CASE("journal: a torn last line is skipped and cut - a corrupt line elsewhere is an error") {
  TempDir dir;
  const std::string path = dir.file("j");
  {
    Journal j(path);
    j.append(make_record("a"));
    j.append(make_record("b"));
    j.sync();
  }
  { std::ofstream(path, std::ios::app) << "{\"job_id\": \"c\", \"meth"; }  // a crash mid-write
  std::vector<std::string> warnings;
  CHECK(Journal::read(path, &warnings).size() == 2);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find(":3: incomplete last line ignored") != std::string::npos);
  {
    Journal j(path);  // reopening cuts the torn line
    j.append(make_record("c"));
    j.sync();
  }
  warnings.clear();
  const auto records = Journal::read(path, &warnings);
  CHECK(records.size() == 3);
  CHECK(records[2].job_id == "c");
  CHECK(warnings.empty());

  { std::ofstream(path, std::ios::app) << "not json\n" << record_to_json(make_record("d")) << "\n"; }
  const Error e = expect_error([&] { Journal::read(path); });
  CHECK(e.where().line == 4);
  CHECK(e.message().find("corrupt journal line") == 0);
}

TEST_CASE("lock file: one writer - a dead holder's lock is stale") {
  TempDir dir;
  const std::string path = dir.file("r.h5.lock");
  {
    LockFile lock(path);
    const Error e = expect_error([&] { LockFile second(path); });
    CHECK(e.message().find("these results are being written by pid " + std::to_string(getpid()) + " on " +
                           host_name()) == 0);
  }
  CHECK_FALSE(std::filesystem::exists(path));  // released

  // A holder that died without releasing: a child that takes the lock and _exits.
  const pid_t child = fork();
  if (child == 0) {
    LockFile lock(path);
    _exit(0);  // no destructors: the lock file stays behind
  }
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(std::filesystem::exists(path));
  CHECK(read_text(path).find(" " + std::to_string(child) + " ") != std::string::npos);
  {
    LockFile taken(path);  // stale: taken over
    CHECK(read_text(path).find(" " + std::to_string(getpid()) + " ") != std::string::npos);
  }

  // A holder that has ended but is not reaped yet (a zombie, as the ranks of an aborted
  // mpirun are for a while) holds nothing either.
  const pid_t zombie = fork();
  if (zombie == 0) {
    LockFile lock(path);
    _exit(0);
  }
  while (!std::filesystem::exists(path)) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // ended; not waited for
  CHECK(::kill(zombie, 0) == 0);                                // the pid still exists
  LockFile taken(path);
  CHECK(read_text(path).find(" " + std::to_string(getpid()) + " ") != std::string::npos);
  waitpid(zombie, &status, 0);

  // A holder on another host cannot be checked from here: refused, with the way out.
  taken.release();
  std::ofstream(path) << "other-host 1 2026-01-01T00:00:00Z\n";
  const Error remote = expect_error([&] { LockFile again(path); });
  CHECK(remote.message().find("on other-host") != std::string::npos);
  CHECK(remote.hint().find("delete the lock file") != std::string::npos);
}

/// Polls `done` for up to five seconds: the store writes HDF5 on its own thread.
template <typename Predicate>
bool eventually(Predicate done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    usleep(10000);
  }
  return done();
}

TEST_CASE("store: rows reach HDF5 in batches - reopening knows what is stored") {
  TempDir dir;
  const std::string path = dir.file("r.h5");
  std::vector<std::string> notes;
  StoreOptions options;
  options.batch_rows = 2;
  options.flush_seconds = 1e9;
  {
    ResultsStore store(path, header(), options, notes);
    store.record(make_record("a"));
    store.commit();
    usleep(50000);
    CHECK(store.buffered() == 1);                         // half a batch: it waits
    CHECK(unflushed_seen_by_another_process(path) == 1);  // a reader sees it through the journal
    store.record(make_record("b", RunStatus::failed));
    CHECK(eventually([&] { return store.buffered() == 0; }));  // a full batch went to HDF5
    CHECK(unflushed_seen_by_another_process(path) == 0);
    store.record(make_record("c"));
    store.flush();  // on demand
    CHECK(store.buffered() == 0);
    CHECK(unflushed_seen_by_another_process(path) == 0);
    store.record(make_record("d"));
  }  // close flushes
  CHECK_FALSE(std::filesystem::exists(lock_path(path)));
  ResultsStore again(path, header(), options, notes);
  CHECK(again.stored().size() == 4);
  CHECK(again.stored().at("b") == RunStatus::failed);
  CHECK(notes.empty());
}

TEST_CASE("store: the flush interval bounds how stale the HDF5 file gets") {
  TempDir dir;
  const std::string path = dir.file("r.h5");
  std::vector<std::string> notes;
  StoreOptions options;
  options.flush_seconds = 0.1;
  ResultsStore store(path, header(), options, notes);
  store.record(make_record("a"));
  CHECK(eventually([&] { return store.buffered() == 0; }));
  CHECK(unflushed_seen_by_another_process(path) == 0);
}

TEST_CASE("store: a failure of the writer thread stops the sweep instead of losing rows") {
  TempDir dir;
  const std::string path = dir.file("r.h5");
  std::vector<std::string> notes;
  StoreOptions options;
  options.batch_rows = 1;
  ResultsStore store(path, header(), options, notes);
  ResultRecord bad = make_record("a");
  bad.metrics["no_such_metric"] = 1;  // ResultsFile::write rejects it, on the writer thread
  store.record(bad);
  CHECK(eventually([&] {
    try {
      store.commit();
      return false;
    } catch (const Error&) {
      return true;
    }
  }));
  const Error e = expect_error([&] { store.record(make_record("b")); });
  CHECK(e.message().find("cannot write results: ") == 0);
  CHECK(e.hint().find("journal") != std::string::npos);
  CHECK(Journal::read(journal_path(path)).size() == 1);  // still journaled
}

TEST_CASE("store: a crash before the HDF5 flush loses nothing") {
  TempDir dir;
  const std::string path = dir.file("r.h5");
  const pid_t child = fork();
  if (child == 0) {
    std::vector<std::string> notes;
    StoreOptions options;
    options.flush_seconds = 1e9;
    ResultsStore store(path, header(), options, notes);
    for (const char* id : {"a", "b", "c"}) store.record(make_record(id));
    store.commit();  // journaled and fsynced, not in HDF5
    _exit(0);        // killed: no flush, no lock release
  }
  int status = 0;
  waitpid(child, &status, 0);
  const ResultsSnapshot snap = results_snapshot(path);
  CHECK(snap.rows.size() == 3);
  CHECK(snap.unflushed == 3);

  std::vector<std::string> notes;
  ResultsStore store(path, header(), StoreOptions{}, notes);  // stale lock taken over
  CHECK(store.stored().size() == 3);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("recovered 3 result(s) from the journal") != std::string::npos);
  store.close();
  CHECK(ResultsFile::open_read_only(path).read_rows().size() == 3);
}

TEST_CASE("store: a corrupt HDF5 file is moved aside and rebuilt from the journal") {
  TempDir dir;
  const std::string path = dir.file("r.h5");
  std::vector<std::string> notes;
  {
    ResultsStore store(path, header(), StoreOptions{}, notes);
    store.record(make_record("a"));
    store.record(make_record("b"));
  }
  std::ofstream(path, std::ios::trunc) << "garbage from a crashed node";
  ResultsStore store(path, header(), StoreOptions{}, notes);
  CHECK(store.stored().size() == 2);
  REQUIRE(notes.size() == 2);
  CHECK(notes[0].find("moved to " + path + ".corrupt-") != std::string::npos);
  bool aside = false;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    aside = aside || entry.path().string().find(".corrupt-") != std::string::npos;
  CHECK(aside);  // nothing already written is lost
}

TEST_CASE("store: another experiment's file is refused unless forced") {
  TempDir dir;
  const std::string path = dir.file("r.h5");
  std::vector<std::string> notes;
  { ResultsStore store(path, header("ctx1"), StoreOptions{}, notes); }
  const Error e = expect_error([&] { ResultsStore store(path, header("ctx2"), StoreOptions{}, notes); });
  CHECK(e.message().find("holds results of another experiment (context ctx1, sweep 't')") == 0);
  CHECK(e.hint().find("--force") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(lock_path(path)));  // the refused run let go of the lock

  StoreOptions force;
  force.force = true;
  { ResultsStore store(path, header("ctx2"), force, notes); }
  CHECK(ResultsFile::open_read_only(path).header().context_hash == "ctx2");
}

TEST_CASE("store: a second writer is refused while the first holds the file") {
  TempDir dir;
  const std::string path = dir.file("r.h5");
  std::vector<std::string> notes;
  ResultsStore first(path, header(), StoreOptions{}, notes);
  const Error e = expect_error([&] { ResultsStore second(path, header(), StoreOptions{}, notes); });
  CHECK(e.where().file == lock_path(path));
  CHECK(e.message().find("these results are being written by pid " + std::to_string(getpid())) == 0);
}

TEST_CASE("a results file whose row type is damaged is refused with a clear error, not read out of bounds") {
  // Found by fuzz/fuzz_results_file: a byte-damaged file whose /runs row type puts a
  // column outside the row, which HDF5's conversion read past its buffer.
  TempDir dir;
  const std::string path = dir.file("damaged.h5");
  REQUIRE(std::system(
              ("gzip -dc " + source_path("tests/store/fixtures/damaged-row-type.h5.gz") + " > " + path).c_str()) == 0);
  const Error e = expect_error([&] { ResultsFile::open_read_only(path).read_rows(); });
  CHECK(e.key() == "runs");
  CHECK(e.message().find("the results file is damaged") == 0);
  CHECK(e.hint().find("journal") != std::string::npos);
}
