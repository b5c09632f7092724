// `metric rouge` and `metric ks`: one full-precision number per input line, in order,
// equal to the reference tools' values; a bad line is exit 2 naming file:line.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "cli_run.h"
#include "common/exit_codes.h"
#include "test_support.h"

using namespace clear_sweep;
using testing::run_cli;

namespace {

std::vector<double> numbers(const std::string& text) {
  std::istringstream in(text);
  std::vector<double> out;
  for (double x; in >> x;) out.push_back(x);
  return out;
}

std::vector<nlohmann::json> fixture(const std::string& name) {
  std::ifstream in(source_path("tests/eval/fixtures/" + name));
  std::vector<nlohmann::json> rows;
  for (std::string line; std::getline(in, line);) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

}  // namespace

TEST_CASE("metric rouge prints each line's ROUGE-L recall, as rouge_score") {
  const auto rows = fixture("rouge_pairs.jsonl");
  const auto r = run_cli({"metric", "rouge", source_path("tests/eval/fixtures/rouge_pairs.jsonl")});
  REQUIRE(r.code == kExitOk);
  const auto got = numbers(r.out);
  REQUIRE(got.size() == rows.size());
  for (size_t i = 0; i < rows.size(); ++i) CHECK(got[i] == Approx(rows[i]["recall"].get<double>()).margin(1e-15));
}

TEST_CASE("metric ks prints each line's p-value, as scipy's ks_2samp") {
  const auto rows = fixture("ks_pairs.jsonl");
  const auto r = run_cli({"metric", "ks", source_path("tests/eval/fixtures/ks_pairs.jsonl")});
  REQUIRE(r.code == kExitOk);
  const auto got = numbers(r.out);
  REQUIRE(got.size() == rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    CHECK(got[i] == Approx(rows[i]["pvalue"].get<double>()).epsilon(1e-6).margin(1e-300));
}

TEST_CASE("metric commands reject a bad line with file:line and print nothing") {
  TempDir tmp;
  const std::string path = tmp.file("x.jsonl");
  std::ofstream(path) << "{\"reference\": \"a b\", \"prediction\": \"a\"}\n{\"reference\": \"a\"}\n";
  const auto r = run_cli({"metric", "rouge", path});
  CHECK(r.code == kExitBadInput);
  CHECK(r.out.empty());
  CHECK(r.err.find("x.jsonl:2:") != std::string::npos);
  CHECK(r.err.find("prediction") != std::string::npos);
  std::ofstream(path) << "{\"a\": [1, 2], \"b\": []}\n";
  CHECK(run_cli({"metric", "ks", path}).code == kExitBadInput);
}
