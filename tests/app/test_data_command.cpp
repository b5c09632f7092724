// `data synth` and `data stats` through the command line: exit codes, output, and a
// bad dataset reported on one line with exit 2.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "cli_run.h"
#include "common/exit_codes.h"
#include "test_support.h"

using namespace clear_sweep;
using testing::run_cli;

TEST_CASE("data synth writes a world that data stats validates and counts") {
  TempDir tmp;
  const std::string dir = tmp.file("world");
  const auto synth = run_cli({"data", "synth", "--out", dir, "--persons", "20", "--images-per-person", "2", "--seed",
                              "5", "--image-size", "32"});
  REQUIRE(synth.code == kExitOk);
  CHECK(synth.out.find("20 trained") != std::string::npos);

  const auto stats = run_cli({"data", "stats", dir, "--format", "json", "--digest"});
  REQUIRE(stats.code == kExitOk);
  const auto j = nlohmann::json::parse(stats.out);
  CHECK(j["valid"] == true);
  CHECK(j["splits"]["trained"]["persons"] == 20);
  CHECK(j["splits"]["forget10"]["persons"] == 2);
  CHECK(j["splits"]["forget05"]["persons"] == 1);
  CHECK(j["splits"]["holdout"]["persons"] == 2);
  CHECK(j["splits"]["all"]["text_qa"] == 22 * 20);
  CHECK(j["sha256"].get<std::string>().size() == 64);

  // A second synth into the same folder is refused and changes nothing.
  const auto again = run_cli({"data", "synth", "--out", dir});
  CHECK(again.code == kExitBadInput);
  CHECK(again.err.find("--out") != std::string::npos);
  CHECK(run_cli({"data", "stats", dir, "--format", "json", "--digest"}).out == stats.out);
}

TEST_CASE("data stats on a broken dataset exits 2 with one line naming file and line") {
  TempDir tmp;
  const std::string dir = tmp.file("world");
  REQUIRE(run_cli({"data", "synth", "--out", dir, "--persons", "4", "--images-per-person", "1", "--image-size", "16"})
              .code == kExitOk);
  {
    std::ofstream append(dir + "/images.jsonl", std::ios::app);
    append << "{\"person\": 0, \"image\": \"../../etc/passwd\"}\n";
  }
  const auto r = run_cli({"data", "stats", dir});
  CHECK(r.code == kExitBadInput);
  CHECK(r.err.find("images.jsonl:7:") != std::string::npos);
  CHECK(r.err.find("leaves the dataset folder") != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("data synth rejects sizes out of range, naming the flag") {
  TempDir tmp;
  const auto r = run_cli({"data", "synth", "--out", tmp.file("w"), "--persons", "1"});
  CHECK(r.code == kExitBadInput);
  CHECK(r.err.find("--persons") != std::string::npos);
  CHECK(!std::filesystem::exists(tmp.file("w")));
}
