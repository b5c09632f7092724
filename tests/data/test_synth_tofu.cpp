// The synthetic TOFU-like world and TOFU's records in the dataset format: authors with
// QA and no images, the real authors and world facts as text multiple choice, a
// write/load round trip, and loader errors that name the file and field.
#include <filesystem>
#include <set>

#include "data/items.h"
#include "data/synth_tofu.h"
#include "data_fixtures.h"

using namespace clear_sweep;
using namespace clear_sweep::testing;

namespace {

SynthTofuOptions small_tofu(int64_t seed = 3) {
  SynthTofuOptions o;
  o.world = small_world_options(seed);
  o.real_authors = 5;
  o.world_facts = 7;
  return o;
}

}  // namespace

TEST_CASE("synthetic TOFU world: the CLEAR world's authors without images, real authors and world facts",
          "[data][tofu]") {
  const SynthTofuOptions options = small_tofu();
  const SynthWorld world = synth_tofu_world(options);
  const Dataset& ds = world.dataset;
  const SynthWorld clear = synth_world(options.world);
  CHECK(ds.is_tofu());
  CHECK(world.images.empty());
  CHECK(ds.real_faces.empty());
  // The same authors and QA as the CLEAR world of the seed, splits included.
  REQUIRE(ds.persons.size() == clear.dataset.persons.size());
  for (size_t i = 0; i < ds.persons.size(); ++i) {
    CHECK(ds.persons[i].name == clear.dataset.persons[i].name);
    CHECK(ds.persons[i].qa.size() == size_t(kQaPerPerson));
    CHECK(ds.persons[i].qa.front().answer == clear.dataset.persons[i].qa.front().answer);
    CHECK(ds.persons[i].images.empty());
  }
  CHECK(ds.splits.forget_order == clear.dataset.splits.forget_order);
  CHECK(ds.splits.holdout == clear.dataset.splits.holdout);
  // Three books per famous author, a landmark per city; three distinct wrong options.
  CHECK(ds.real_authors.size() == size_t(3 * options.real_authors));
  CHECK(ds.real_world.size() == size_t(options.world_facts));
  std::set<std::string> questions, authors;
  for (const auto* set : {&ds.real_authors, &ds.real_world})
    for (const auto& q : *set) {
      CHECK(q.image.empty());
      CHECK(questions.insert(q.question).second);
      REQUIRE(q.options.size() == size_t(kTofuWrongOptions));
      const std::set<std::string> options_seen(q.options.begin(), q.options.end());
      CHECK(options_seen.size() == q.options.size());
      CHECK_FALSE(options_seen.count(q.answer));
    }
  for (const auto& q : ds.real_authors) authors.insert(q.answer);
  CHECK(authors.size() == size_t(options.real_authors));
  // Every item a text-only model is asked has no image.
  std::vector<int64_t> everyone;
  for (const auto& p : ds.persons) everyone.push_back(p.id);
  const auto items = person_items(ds, everyone, Modality::both, true);
  CHECK(text_only_items(ds, items).size() == items.size());
  CHECK(real_author_items(ds).size() == ds.real_authors.size());
  // Landmark names are never repeated (two answers to one question), at the default
  // 24 facts on any seed.
  for (int64_t seed = 0; seed < 20; ++seed) {
    SynthTofuOptions o = small_tofu(seed);
    o.world_facts = 24;
    std::set<std::string> asked;
    for (const auto& q : synth_tofu_world(o).dataset.real_world) CHECK(asked.insert(q.question).second);
  }
  // One seed, one world.
  CHECK(synth_tofu_world(options).dataset.real_authors.front().question == ds.real_authors.front().question);
  CHECK(synth_tofu_world(small_tofu(4)).dataset.real_world.front().question != ds.real_world.front().question);
}

TEST_CASE("TOFU datasets round-trip through the dataset format and a missing real_authors file is named",
          "[data][tofu]") {
  TempDir tmp;
  const SynthWorld world = synth_tofu_world(small_tofu());
  const std::string dir = tmp.file("tofu");
  write_dataset(world.dataset, world.images, dir);
  const Dataset loaded = load_dataset(dir);
  CHECK(loaded.is_tofu());
  REQUIRE(loaded.real_authors.size() == world.dataset.real_authors.size());
  for (size_t i = 0; i < loaded.real_authors.size(); ++i) {
    CHECK(loaded.real_authors[i].question == world.dataset.real_authors[i].question);
    CHECK(loaded.real_authors[i].answer == world.dataset.real_authors[i].answer);
    CHECK(loaded.real_authors[i].options == world.dataset.real_authors[i].options);
  }
  CHECK(loaded.real_world.size() == world.dataset.real_world.size());
  CHECK(loaded.persons.size() == world.dataset.persons.size());
  CHECK(loaded.splits.named == world.dataset.splits.named);

  const std::string cut = tmp.file("cut");
  write_dataset(world.dataset, world.images, cut);
  std::filesystem::remove(cut + "/real_authors.jsonl");
  const auto missing = expect_error([&] { load_dataset(cut); });
  CHECK(missing.where().file.find("real_authors.jsonl") != std::string::npos);
  const std::string counted = tmp.file("counted");
  write_dataset(world.dataset, world.images, counted);
  edit_file(counted + "/manifest.json", "\"real_authors\": 15", "\"real_authors\": 16");
  CHECK(expect_error([&] { load_dataset(counted); }).key() == "counts.real_authors");

  // splits.retain_scored (TOFU's retain_perturbed authors) round-trips and holds trained
  // persons only.
  SynthWorld scored = world;
  scored.dataset.splits.retain_scored = {scored.dataset.splits.forget_order.back()};
  const std::string scored_dir = tmp.file("scored");
  write_dataset(scored.dataset, scored.images, scored_dir);
  CHECK(load_dataset(scored_dir).splits.retain_scored == scored.dataset.splits.retain_scored);
  scored.dataset.splits.retain_scored = {scored.dataset.splits.holdout.front()};
  const std::string held_dir = tmp.file("held");
  write_dataset(scored.dataset, scored.images, held_dir);
  const auto held = expect_error([&] { load_dataset(held_dir); });
  CHECK(held.key().find("retain_scored") != std::string::npos);
}
