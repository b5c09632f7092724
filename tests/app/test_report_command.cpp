// `report`: files merged by job id, seeds averaged, each method's best setting by the
// documented rule, the Original and Gold reference rows, every output format.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cli_run.h"
#include "common/exit_codes.h"
#include "store/metric_columns.h"
#include "store/results_store.h"
#include "test_support.h"

using namespace clear_sweep;
using testing::run_cli;

namespace {

std::vector<double> reference(double mu, double log_fq) {
  std::vector<double> v(metric_columns().size(), 0.5);
  for (const auto& stage : attack_stages())  // measured only in sweeps with attacks
    for (const auto& metric : attack_metrics()) v[size_t(metric_column_index(attack_column(stage, metric)))] = NAN;
  v[size_t(metric_column_index("model_utility"))] = mu;
  v[size_t(metric_column_index("log_forget_quality"))] = log_fq;
  return v;
}

ResultRecord job(const std::string& id, const std::string& method, const std::string& hparams, int64_t seed, double mu,
                 double log_fq, RunStatus status = RunStatus::ok, double finished_at = 1) {
  ResultRecord r;
  r.job_id = id;
  r.method = method;
  r.modality = "both";
  r.forget_fraction = 10;
  r.seed = seed;
  r.hparams = hparams;
  r.status = status;
  r.finished_at = finished_at;
  r.metrics = {{"model_utility", mu}, {"log_forget_quality", log_fq}, {"clear_real", 0.6}};
  r.vectors = {{"reference_original_metrics", reference(0.8, -20)}, {"reference_gold_metrics", reference(0.79, 0)}};
  return r;
}

void write_results(const std::string& path, const std::vector<ResultRecord>& rows) {
  ResultsHeader h;
  h.sweep_name = "r";
  h.context_hash = "ctx";
  std::vector<std::string> notes;
  ResultsStore store(path, h, StoreOptions{}, notes);
  for (const auto& r : rows) store.record(r);
}

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream cs(line);
    for (std::string c; std::getline(cs, c, ',');) cells.push_back(c);
    rows.push_back(cells);
  }
  return rows;
}

}  // namespace

TEST_CASE("report: best setting per method, seeds averaged, references, merged files") {
  TempDir dir;
  // ga: lr=0.1 forgets best (log FQ -1) but drops utility below 95 % of 0.8; lr=0.01
  // keeps it (0.78, 0.77 over two seeds) with log FQ -5; lr=0.001 keeps it with -9.
  write_results(dir.file("a.h5"), {job("g1", "ga", "lr=0.1", 0, 0.50, -1), job("g2", "ga", "lr=0.01", 0, 0.78, -5),
                                   job("g4", "ga", "lr=0.001", 0, 0.79, -9),
                                   job("r1", "retain_ft", "lr=0.01", 0, 0.60, -3, RunStatus::failed, 1)});
  // The second file holds the other seed, and a success for the job that failed.
  write_results(dir.file("b.h5"), {job("g3", "ga", "lr=0.01", 1, 0.76, -7),
                                   job("r1", "retain_ft", "lr=0.01", 0, 0.81, -15, RunStatus::ok, 2)});
  const auto r = run_cli({"report", dir.file("a.h5"), dir.file("b.h5"), "--format", "csv"});
  REQUIRE(r.code == kExitOk);
  const auto rows = csv_rows(r.out);
  REQUIRE(rows.size() == 1 + 2 + 2);  // header, Original, Gold, ga, retain_ft
  const auto& header = rows[0];
  const auto col = [&](const std::string& name) {
    return size_t(std::find(header.begin(), header.end(), name) - header.begin());
  };
  CHECK(rows[1][col("method")] == "Original");
  CHECK(rows[1][col("MU")] == "0.800");
  CHECK(rows[2][col("method")] == "Gold");
  CHECK(rows[2][col("log FQ")] == "0.000");
  CHECK(rows[3][col("method")] == "ga");
  CHECK(rows[3][col("hparams")] == "lr=0.01");  // the rule: best FQ among MU >= 0.76
  CHECK(rows[3][col("seeds")] == "2");
  CHECK(rows[3][col("MU")] == "0.770");
  CHECK(rows[3][col("log FQ")] == "-6.000");
  CHECK(rows[4][col("method")] == "retain_ft");  // the success replaced the failure
  CHECK(rows[4][col("MU")] == "0.810");

  // Every setting on request; other formats carry the same rows.
  const auto all = run_cli({"report", dir.file("a.h5"), dir.file("b.h5"), "--all", "--format", "md"});
  REQUIRE(all.code == kExitOk);
  CHECK(std::count(all.out.begin(), all.out.end(), '\n') == 2 + 2 + 3 + 1);
  CHECK(all.out.find("| ga | both | 10 | lr=0.1 |") != std::string::npos);
  const auto html = run_cli({"report", dir.file("a.h5"), "--format", "html"});
  CHECK(html.out.find("<td class=\"text\">Original</td>") != std::string::npos);
  const auto table = run_cli({"report", dir.file("a.h5"), dir.file("b.h5")});
  CHECK(table.out.find("5 jobs from 2 file(s), 0 failed") != std::string::npos);

  CHECK(run_cli({"report", dir.file("a.h5"), "--by", "colour"}).code == kExitBadInput);
  CHECK(run_cli({"report", dir.file("missing.h5")}).code == kExitBadInput);
}

TEST_CASE("report: a method with no setting that keeps utility shows its highest MU, marked") {
  TempDir dir;
  // Original MU 0.8: neither npo setting reaches 0.76, so the rule falls back to MU.
  write_results(dir.file("a.h5"), {job("n1", "npo", "lr=0.1", 0, 0.50, -1), job("n2", "npo", "lr=0.01", 0, 0.60, -4),
                                   job("g1", "ga", "lr=0.01", 0, 0.79, -9), job("g2", "ga", "lr=0.1", 0, 0.78, -8)});
  const auto r = run_cli({"report", dir.file("a.h5"), "--format", "csv"});
  REQUIRE(r.code == kExitOk);
  const auto rows = csv_rows(r.out);
  REQUIRE(rows.size() == 1 + 2 + 2);
  CHECK(rows[3][0] == "ga");
  CHECK(rows[3][3] == "lr=0.1");  // kept utility: no fallback mark
  CHECK(rows[4][0] == "npo");
  CHECK(rows[4][3] == "lr=0.01 (utility fallback)");
  const auto table = run_cli({"report", dir.file("a.h5")});
  CHECK(table.out.find("(utility fallback): no setting of that method kept MU >= 95 % of Original") !=
        std::string::npos);
}

TEST_CASE("report: the robustness view shows the forget set before and after each attack, where attacks ran") {
  TempDir dir;
  ResultRecord ga = job("g1", "ga", "lr=0.01", 0, 0.78, -5);
  ga.metrics["forget_prob"] = 0.05;
  ga.metrics["attack_quant8_forget_prob"] = 0.06;
  ga.metrics["attack_quant4_forget_prob"] = 0.25;
  ga.metrics["attack_relearn_before_forget_prob"] = 0.04;
  ga.metrics["attack_relearn_forget_prob"] = 0.61;
  auto& original = ga.vectors["reference_original_metrics"];
  original[size_t(metric_column_index("forget_prob"))] = 0.97;
  original[size_t(metric_column_index("attack_quant4_forget_prob"))] = 0.93;
  write_results(dir.file("a.h5"), {ga});
  const auto r = run_cli({"report", dir.file("a.h5"), "--format", "csv"});
  REQUIRE(r.code == kExitOk);
  const auto rows = csv_rows(r.out);
  // The CLEAR table (header + Original, Gold, ga), then the robustness view's: the lines
  // that were attacked (here not the Gold).
  REQUIRE(rows.size() == 4 + 3);
  const auto& header = rows[4];
  const auto col = [&](const std::string& name) {
    return size_t(std::find(header.begin(), header.end(), name) - header.begin());
  };
  REQUIRE(col("Prob 4-bit") < header.size());
  CHECK(rows[6][0] == "ga");
  CHECK(rows[6][col("Prob")] == "0.050");
  CHECK(rows[6][col("Prob int8")] == "0.060");
  CHECK(rows[6][col("Prob 4-bit")] == "0.250");
  CHECK(rows[6][col("Prob held-out")] == "0.040");
  CHECK(rows[6][col("Prob relearned")] == "0.610");
  CHECK(rows[6][col("ROUGE int8")] == "-");  // not measured
  CHECK(rows[5][0] == "Original");
  CHECK(rows[5][col("Prob 4-bit")] == "0.930");
  const auto table = run_cli({"report", dir.file("a.h5")});
  CHECK(table.out.find("Robustness:") != std::string::npos);
  // Without attacks, no such view.
  write_results(dir.file("b.h5"), {job("g2", "ga", "lr=0.01", 0, 0.78, -5)});
  CHECK(run_cli({"report", dir.file("b.h5")}).out.find("Robustness") == std::string::npos);
}

namespace {

/// The headless browser: Debian's chromium-headless-shell (scripts/setup.sh installs
/// it), or a full chromium.
std::string find_browser() {
  for (const char* name : {"chromium-headless-shell", "chromium", "chromium-browser"}) {
    const std::string probe = std::string("command -v ") + name + " >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return name;
  }
  return "";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("report --format html --out: one self-contained page that a real browser loads, sorts and draws") {
  TempDir dir;
  // Two methods, l1_lambda varied, two seeds each (error bars), the reference rows.
  std::vector<ResultRecord> rows;
  int id = 0;
  for (const char* method : {"ga", "npo"})
    for (const char* l1 : {"0", "0.0002"})
      for (int64_t seed : {0, 1}) {
        ResultRecord r = job("j" + std::to_string(id++), method, std::string("l1_lambda=") + l1 + " lr=0.001", seed,
                             0.7 + 0.01 * seed, -5 - seed);
        r.metrics["clear_forget"] = 0.2 + 0.1 * seed + (std::string(l1) == "0" ? 0 : 0.3);
        r.metrics["clear_retain"] = 0.5 + 0.05 * seed;
        rows.push_back(r);
      }
  write_results(dir.file("a.h5"), rows);
  const std::string page = dir.file("report.html");
  const auto r = run_cli({"report", dir.file("a.h5"), "--format", "html", "--out", page});
  INFO(r.err);
  REQUIRE(r.code == kExitOk);
  CHECK(r.out == "wrote " + page + "\n");
  const std::string html = slurp(page);
  CHECK(html.find("<tr class=\"reference\">") != std::string::npos);
  CHECK(html.find("data-reference=\"Original\"") != std::string::npos);
  CHECK(html.find("data-series=\"l1_lambda=0.0002\"") != std::string::npos);
  CHECK(html.find("class=\"bar\"") != std::string::npos);  // the seeds' spread
  // A rerun replaces its own page; any other file is never overwritten.
  CHECK(run_cli({"report", dir.file("a.h5"), "--format", "html", "--out", page}).code == kExitOk);
  std::ofstream(dir.file("notes.html")) << "<p>my notes</p>\n";
  const auto refused = run_cli({"report", dir.file("a.h5"), "--format", "html", "--out", dir.file("notes.html")});
  CHECK(refused.code == kExitBadInput);
  CHECK(refused.err.find("--out") != std::string::npos);
  CHECK(slurp(dir.file("notes.html")) == "<p>my notes</p>\n");
  CHECK_FALSE(std::filesystem::exists(dir.file("notes.html.partial")));

  // In the browser: the script runs to its end with no error and no console message, the
  // self-test sorts every column both ways, and a screenshot is taken (kept as
  // /tmp/clear-sweep-report-screenshot.png for a look).
  const std::string browser = find_browser();
  if (browser.empty()) FAIL("no headless browser: install chromium-headless-shell (scripts/setup.sh does)");
  // `timeout`: a browser that hangs fails the test rather than holding CI.
  const std::string flags = " --no-sandbox --disable-gpu --hide-scrollbars --enable-logging=stderr --v=0 ";
  REQUIRE(std::system(("timeout 60 " + browser + flags + "--dump-dom 'file://" + page + "#selftest' >" +
                       dir.file("dom.html") + " 2>" + dir.file("console.txt"))
                          .c_str()) == 0);
  const std::string dom = slurp(dir.file("dom.html")), console = slurp(dir.file("console.txt"));
  INFO(console);
  CHECK(dom.find("data-ready=\"yes\"") != std::string::npos);
  CHECK(dom.find("data-errors=\"0\"") != std::string::npos);
  CHECK(dom.find("data-selftest=\"ok (") != std::string::npos);
  CHECK(console.find("CONSOLE") == std::string::npos);
  CHECK(dom.find("<svg") != std::string::npos);
  const std::string shot = (std::filesystem::temp_directory_path() / "clear-sweep-report-screenshot.png").string();
  std::filesystem::remove(shot);
  REQUIRE(std::system(("timeout 60 " + browser + flags + "--window-size=1200,1600 --screenshot=" + shot + " 'file://" +
                       page + "' >" + dir.file("shot.log") + " 2>&1")
                          .c_str()) == 0);
  const std::string png = slurp(shot);
  REQUIRE(png.size() > 10000);  // a drawn page, not a blank one
  CHECK(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  // The IHDR width, big-endian at byte 16: the window's.
  const auto byte = [&](size_t i) { return uint32_t(uint8_t(png[i])); };
  CHECK((byte(16) << 24 | byte(17) << 16 | byte(18) << 8 | byte(19)) == 1200u);
}

TEST_CASE("report --compare: per-metric differences job by job, and an exit code past --tolerance") {
  TempDir dir;
  // The same jobs on "another machine": g2's MU moved by 0.01, g1's clear_real is not
  // there, and each file has one job the other lacks.
  ResultRecord g1 = job("g1", "ga", "lr=0.1", 0, 0.50, -1), g2 = job("g2", "ga", "lr=0.01", 0, 0.78, -5);
  write_results(dir.file("here.h5"), {g1, g2, job("g3", "ga", "lr=0.001", 0, 0.79, -9)});
  ResultRecord g1_there = g1, g2_there = g2;
  g1_there.metrics.erase("clear_real");
  g2_there.metrics["model_utility"] = 0.79;
  write_results(dir.file("there.h5"), {g1_there, g2_there, job("g9", "npo", "lr=0.1", 0, 0.7, -2)});

  const auto r = run_cli({"report", dir.file("here.h5"), "--compare", dir.file("there.h5"), "--format", "csv"});
  REQUIRE(r.code == kExitOk);  // without --tolerance, differences are only shown
  const auto rows = csv_rows(r.out);
  const auto header = std::find_if(rows.begin(), rows.end(), [](const auto& row) { return row.at(0) == "metric"; });
  REQUIRE(header != rows.end());
  std::map<std::string, std::vector<std::string>> by_metric;
  for (auto it = std::next(header); it != rows.end(); ++it) by_metric[it->at(0)] = *it;
  const auto col = [&](const std::string& name) {
    return size_t(std::find(header->begin(), header->end(), name) - header->begin());
  };
  const auto& mu = by_metric.at("model_utility");
  CHECK(mu[col("jobs")] == "2");
  CHECK(mu[col("differing")] == "1");
  CHECK(std::stod(mu[col("max |diff|")]) == Approx(0.01));
  CHECK(std::stod(mu[col("mean |diff|")]) == Approx(0.005));
  CHECK(mu[col("here")] == "0.78");
  CHECK(mu[col("there")] == "0.79");
  CHECK(mu[col("at job")] == "ga both 10% seed0 lr=0.01");
  const auto& fq = by_metric.at("log_forget_quality");
  CHECK(fq[col("differing")] == "0");
  CHECK(fq[col("max |diff|")] == "0");
  CHECK(by_metric.at("clear_real")[col("missing")] == "1");
  const auto table = run_cli({"report", dir.file("here.h5"), "--compare", dir.file("there.h5")});
  CHECK(table.out.find("2 jobs in both, 1 only here, 1 only there") != std::string::npos);

  // --tolerance decides: 0.001 is passed by MU (and clear_real is missing): exit 1.
  CHECK(run_cli({"report", dir.file("here.h5"), "--compare", dir.file("there.h5"), "--tolerance", "0.001"}).code ==
        kExitFailure);
  // Against itself nothing differs, whatever the tolerance.
  CHECK(run_cli({"report", dir.file("here.h5"), "--compare", dir.file("here.h5"), "--tolerance", "0"}).code == kExitOk);
  const auto missing = run_cli({"report", dir.file("here.h5"), "--compare", dir.file("nowhere.h5")});
  CHECK(missing.code == kExitBadInput);
  CHECK(missing.err.find("nowhere.h5") != std::string::npos);
}

TEST_CASE("report: Table 2 warns when the models U-MIA and U-LIRA compare were not trained alike, naming them") {
  TempDir dir;
  auto face_job = [](const std::string& id, std::vector<double> reference_losses, std::vector<double> shadow_losses) {
    ResultRecord r;
    r.job_id = id, r.method = "finetune", r.modality = "visual", r.forget_fraction = 20, r.hparams = "lr=0.01";
    r.finished_at = 1;
    r.metrics = {{"faces_forget_accuracy", 0.9}, {"faces_retain_accuracy", 1.0}, {"faces_holdout_accuracy", 0.8}};
    r.vectors = {{kReferenceLossVector, std::move(reference_losses)}, {kShadowLossVector, std::move(shadow_losses)}};
    return r;
  };
  // Alike: every model within 3x of every other. Unlike: the holdout-side models (odd k)
  // far behind the forget-side ones, as the shadow models of the first visual runs were.
  write_results(dir.file("alike.h5"), {face_job("a", {0.2, 0.25}, {0.15, 0.28, 0.2, 0.3})});
  write_results(dir.file("unlike.h5"), {face_job("u", {2.8, 0.2}, {0.09, 6.6, 0.1, 6.2}),
                                        face_job("v", {2.8, 0.2}, {0.09, 6.6, 0.1, 6.2})});
  const auto alike = run_cli({"report", dir.file("alike.h5")});
  REQUIRE(alike.code == kExitOk);
  CHECK(alike.out.find("not trained alike") == std::string::npos);

  const auto unlike = run_cli({"report", dir.file("unlike.h5")});
  REQUIRE(unlike.code == kExitOk);
  INFO(unlike.out);
  CHECK(unlike.out.find("Table 2: the Original and Gold models were not trained alike: finetune_base ended at loss "
                        "2.8, finetune_gold 20% at 0.2 (14.0x; more than 3x)") != std::string::npos);
  CHECK(unlike.out.find("Table 2: the forget-side and holdout-side models of U-MIA and U-LIRA were not trained "
                        "alike: train_shadow 1 (holdout side, target) ended at loss 6.6, train_shadow 0 (forget "
                        "side, target) at 0.09 (73.3x; more than 3x)") != std::string::npos);
  // Targets k = 0, 1; shadows k = 2, 3: the most unlike pair is 6.2 against 0.09.
  CHECK(unlike.out.find("Table 2: the target and shadow models of U-MIA and U-LIRA were not trained alike: "
                        "train_shadow 3 (holdout side, shadow) ended at loss 6.2, train_shadow 0 (forget side, "
                        "target) at 0.09 (68.9x; more than 3x)") != std::string::npos);
  // Two jobs over the same stages: each warning once.
  size_t warnings = 0;
  for (size_t at = unlike.out.find("not trained alike"); at != std::string::npos;
       at = unlike.out.find("not trained alike", at + 1))
    ++warnings;
  CHECK(warnings == 3);
}
