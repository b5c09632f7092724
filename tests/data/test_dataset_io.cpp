// The on-disk format: a round trip, and every kind of bad data giving an Error that
// names the file and line instead of a crash.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "data/dataset_stats.h"
#include "data_fixtures.h"

using namespace clear_sweep;
using namespace clear_sweep::testing;
namespace fs = std::filesystem;

TEST_CASE("a written world loads back equal, images included", "[data][io]") {
  TempDir tmp;
  const auto world = synth_world(small_world_options());
  const std::string dir = tmp.file("world");
  write_dataset(world.dataset, world.images, dir);
  ImageTable pixels;
  const Dataset loaded = load_dataset(dir, {}, &pixels);

  const Dataset& original = world.dataset;
  CHECK(loaded.source == "synthetic");
  CHECK(loaded.provenance == original.provenance);
  REQUIRE(loaded.persons.size() == original.persons.size());
  for (size_t i = 0; i < original.persons.size(); ++i) {
    const Person &a = original.persons[i], &b = loaded.persons[i];
    CHECK(a.id == b.id);
    CHECK(a.name == b.name);
    CHECK(a.facts == b.facts);
    REQUIRE(a.qa.size() == b.qa.size());
    for (size_t k = 0; k < a.qa.size(); ++k) {
      CHECK(a.qa[k].question == b.qa[k].question);
      CHECK(a.qa[k].answer == b.qa[k].answer);
      CHECK(a.qa[k].paraphrased_answer == b.qa[k].paraphrased_answer);
      CHECK(a.qa[k].perturbed_answers == b.qa[k].perturbed_answers);
    }
    REQUIRE(a.images.size() == b.images.size());
    for (size_t k = 0; k < a.images.size(); ++k) {
      CHECK(a.images[k].image == b.images[k].image);
      CHECK(a.images[k].caption == b.images[k].caption);
      CHECK(a.images[k].paraphrased_caption == b.images[k].paraphrased_caption);
      CHECK(a.images[k].perturbed_captions == b.images[k].perturbed_captions);
      CHECK(a.images[k].perturbed_names == b.images[k].perturbed_names);
    }
  }
  REQUIRE(loaded.real_faces.size() == original.real_faces.size());
  CHECK(loaded.real_faces[0].options == original.real_faces[0].options);
  REQUIRE(loaded.real_world.size() == original.real_world.size());
  CHECK(loaded.real_world[1].answer == original.real_world[1].answer);
  CHECK(loaded.splits.named == original.splits.named);
  CHECK(loaded.splits.forget_order == original.splits.forget_order);
  CHECK(loaded.splits.holdout == original.splits.holdout);
  REQUIRE(pixels.size() == world.images.size());
  for (const auto& [path, image] : world.images) CHECK(pixels.at(path).rgb == image.rgb);

  // Resized on load when asked.
  ImageTable small;
  load_dataset(dir, LoadOptions{true, 16}, &small);
  CHECK(small.begin()->second.width == 16);
}

TEST_CASE("data synth never overwrites: an existing folder is refused and left as it was", "[data][io]") {
  TempDir tmp;
  const std::string dir = tmp.file("taken");
  fs::create_directories(dir);
  write_file(dir + "/notes.txt", "mine");
  const auto world = synth_world(small_world_options());
  const auto e = expect_error([&] { write_dataset(world.dataset, world.images, dir); });
  CHECK(e.key() == "--out");
  CHECK(read_file(dir + "/notes.txt") == "mine");
  CHECK(!fs::exists(dir + "/manifest.json"));
  // An empty folder is fine, and no temporary folder stays behind.
  const std::string empty = tmp.file("empty");
  fs::create_directories(empty);
  write_dataset(world.dataset, world.images, empty);
  CHECK(fs::exists(empty + "/manifest.json"));
  int entries = 0;
  for (const auto& entry : fs::directory_iterator(tmp.path())) entries += entry.path().filename().string()[0] == '.';
  CHECK(entries == 0);
}

namespace {

/// Loads `dir` expecting an Error; checks it names `file` (a suffix) and, if given, the line.
Error expect_load_error(const std::string& dir, const std::string& file, uint32_t line = 0) {
  const Error e = expect_error([&] { load_dataset(dir); });
  INFO(e.what());
  CHECK(e.where().file.size() >= file.size());
  CHECK(e.where().file.compare(e.where().file.size() - file.size(), file.size(), file) == 0);
  if (line) CHECK(e.where().line == line);
  return e;
}

std::string line_of(const std::string& path, int n) {
  std::istringstream in(read_file(path));
  std::string line;
  for (int i = 0; i < n; ++i) std::getline(in, line);
  return line;
}

}  // namespace

TEST_CASE("bad data: missing files", "[data][io][bad]") {
  TempDir tmp;
  const auto dir = write_small_world(tmp);
  SECTION("a JSONL file") {
    fs::remove(dir + "/text_qa.jsonl");
    expect_load_error(dir, "text_qa.jsonl");
  }
  SECTION("the manifest") {
    fs::remove(dir + "/manifest.json");
    CHECK(expect_load_error(dir, "manifest.json").key() == "manifest");
  }
  SECTION("an image") {
    fs::remove(dir + "/images/person_0001/02.png");
    const auto e = expect_load_error(dir, "images.jsonl", 6);  // person 1's third image
    CHECK(e.key() == "image");
    CHECK(e.message().find("images/person_0001/02.png") != std::string::npos);
  }
  SECTION("not a folder") {
    CHECK(expect_error([&] { load_dataset(tmp.file("nowhere")); }).key() == "dataset");
  }
}

TEST_CASE("bad data: images that are not whole images", "[data][io][bad]") {
  TempDir tmp;
  const auto dir = write_small_world(tmp);
  const std::string png = dir + "/images/person_0000/01.png";
  SECTION("a truncated PNG") {
    const std::string bytes = read_file(png);
    write_file(png, bytes.substr(0, bytes.size() / 2));
    const auto e = expect_load_error(dir, "images.jsonl", 2);
    CHECK(e.message().find("not a readable image") != std::string::npos);
  }
  SECTION("a text file named .png") {
    write_file(png, "this is not an image\n");
    expect_load_error(dir, "images.jsonl", 2);
  }
  SECTION("an empty file") {
    write_file(png, "");
    expect_load_error(dir, "images.jsonl", 2);
  }
  SECTION("without verification only existence is checked") {
    write_file(png, "junk");
    CHECK_NOTHROW(load_dataset(dir, LoadOptions{false, 0}));
  }
}

TEST_CASE("bad data: JSONL lines", "[data][io][bad]") {
  TempDir tmp;
  const auto dir = write_small_world(tmp);
  const std::string qa = dir + "/text_qa.jsonl";
  SECTION("a line that is not JSON") {
    edit_file(qa, line_of(qa, 3), "{\"person\": 0, \"question\": oops}");
    const auto e = expect_load_error(dir, "text_qa.jsonl", 3);
    CHECK(e.key() == "json");
    CHECK(e.where().column > 0);
  }
  SECTION("a line that is JSON but not an object") {
    edit_file(qa, line_of(qa, 2), "[1, 2]");
    expect_load_error(dir, "text_qa.jsonl", 2);
  }
  SECTION("a missing field") {
    edit_file(qa, ",\"paraphrased_answer\":", ",\"renamed\":");
    const auto e = expect_load_error(dir, "text_qa.jsonl", 1);
    CHECK(e.key() == "paraphrased_answer");
  }
  SECTION("a field of the wrong type") {
    edit_file(dir + "/images.jsonl", "\"perturbed_names\":[\"", "\"perturbed_names\":[7,\"");
    const auto e = expect_load_error(dir, "images.jsonl", 1);
    CHECK(e.key() == "perturbed_names[0]");
  }
  SECTION("a record about an unknown person") {
    edit_file(qa, "{\"person\":0,", "{\"person\":99,");
    CHECK(expect_load_error(dir, "text_qa.jsonl", 1).key() == "person");
  }
  SECTION("a truncated file the manifest counts") {
    const std::string text = read_file(qa);
    write_file(qa, text.substr(0, text.rfind('\n', text.size() - 2) + 1));
    CHECK(expect_load_error(dir, "manifest.json").key() == "counts.text_qa");
  }
  SECTION("two persons with one name") {
    const std::string persons = dir + "/persons.jsonl";
    const auto first = nlohmann::json::parse(line_of(persons, 1))["name"].get<std::string>();
    const auto second = nlohmann::json::parse(line_of(persons, 2))["name"].get<std::string>();
    edit_file(persons, "\"name\":\"" + second + "\"", "\"name\":\"" + first + "\"");
    CHECK(expect_load_error(dir, "persons.jsonl", 2).key() == "name");
  }
}

TEST_CASE("bad data: image paths that leave the dataset folder", "[data][io][bad]") {
  TempDir tmp;
  const auto dir = write_small_world(tmp);
  write_file(tmp.file("outside.png"), read_file(dir + "/images/person_0000/00.png"));
  const std::string images = dir + "/images.jsonl";
  SECTION("a relative path with ..") {
    edit_file(images, "\"images/person_0000/00.png\"", "\"images/../../outside.png\"");
    const auto e = expect_load_error(dir, "images.jsonl", 1);
    CHECK(e.message().find("leaves the dataset folder") != std::string::npos);
  }
  SECTION("an absolute path") {
    edit_file(images, "\"images/person_0000/00.png\"", "\"" + tmp.file("outside.png") + "\"");
    expect_load_error(dir, "images.jsonl", 1);
  }
  SECTION("a symbolic link out of the folder") {
    fs::remove(dir + "/images/person_0000/00.png");
    fs::create_symlink(tmp.file("outside.png"), dir + "/images/person_0000/00.png");
    const auto e = expect_load_error(dir, "images.jsonl", 1);
    CHECK(e.message().find("outside the dataset folder") != std::string::npos);
  }
}

TEST_CASE("bad data: a person in two disjoint splits", "[data][io][bad][splits]") {
  TempDir tmp;
  const auto dir = write_small_world(tmp);
  const std::string manifest = dir + "/manifest.json";
  auto m = nlohmann::json::parse(read_file(manifest));
  const int64_t retained = m["splits"]["retain90"][0].get<int64_t>();
  SECTION("forget10 and retain90") {
    m["splits"]["forget10"].push_back(retained);
    write_file(manifest, m.dump(2));
    const auto e = expect_load_error(dir, "manifest.json");
    CHECK(e.key() == "splits.forget10");
    CHECK(e.message().find("in forget10 and in retain90") != std::string::npos);
  }
  SECTION("holdout and a trained split") {
    m["splits"]["holdout"].push_back(retained);
    write_file(manifest, m.dump(2));
    CHECK(expect_load_error(dir, "manifest.json").key() == "splits.holdout");
  }
  SECTION("an unknown person id") {
    m["forget_order"].push_back(1234);
    write_file(manifest, m.dump(2));
    CHECK(expect_load_error(dir, "manifest.json").message().find("1234") != std::string::npos);
  }
  SECTION("a schema version from elsewhere") {
    m["schema_version"] = 99;
    write_file(manifest, m.dump(2));
    CHECK(expect_load_error(dir, "manifest.json").key() == "schema_version");
  }
}

TEST_CASE("counts per split match the world's sizes", "[data][io]") {
  TempDir tmp;
  const auto dir = write_small_world(tmp);
  const auto rows = dataset_counts(load_dataset(dir));
  std::map<std::string, SplitCounts> by;
  for (const auto& r : rows) by[r.split] = r;
  CHECK(by.at("all").persons == 12);
  CHECK(by.at("trained").persons == 10);
  CHECK(by.at("forget10").persons == 1);
  CHECK(by.at("forget10").text_qa == 20);
  CHECK(by.at("forget10").images == 3);
  CHECK(by.at("retain90").persons == 9);
  CHECK(by.at("holdout").persons == 2);
  CHECK(by.at("real_faces").option_qa == 4);
  CHECK(by.at("real_world").option_qa == 5);
  CHECK(by.count("forget01") == 0);  // 1 % of 10 persons selects no one
}
