// The synthetic MLLMU-Bench-like world and MLLMU records in the dataset format: what
// each question asks, the splits, the Test_Set, the celebrities, a write/load round
// trip, and loader errors that name the file, line and field.
#include <algorithm>
#include <map>
#include <set>

#include "data/dataset_stats.h"
#include "data/items.h"
#include "data/synth_mllmu.h"
#include "data_fixtures.h"

using namespace clear_sweep;
using namespace clear_sweep::testing;

namespace {

SynthMllmuOptions small_mllmu(int64_t seed = 3) {
  SynthMllmuOptions o;
  o.world = small_world_options(seed);
  o.world.persons = 20;
  o.celebrities = 4;
  return o;
}

/// A fact value the item asks for: its answer (cloze), the chosen option (choice), or
/// the value that ends the generation answer.
std::string asked_value(const MllmuItem& q) {
  if (q.task == MllmuTask::choice) return q.options.at(size_t(q.answer.at(0) - 'A'));
  return q.answer;
}

}  // namespace

TEST_CASE("synthetic MLLMU world: profiles, celebrities and MLLMU's 5/10/15 splits", "[data][mllmu]") {
  const SynthWorld world = synth_mllmu_world(small_mllmu());
  const Dataset& ds = world.dataset;
  CHECK(ds.is_mllmu());
  CHECK(ds.splits.forget_order.size() == 20);
  CHECK(ds.splits.celebrity.size() == 4);
  CHECK(ds.splits.holdout.size() == 2);
  for (const char* name : {"forget05", "forget10", "forget15", "retain95", "retain90", "retain85"})
    CHECK(ds.splits.named.count(name) == 1);
  CHECK(ds.splits.named.at("forget15").size() == 3);
  CHECK(ds.real_faces.empty());
  CHECK(ds.real_world.empty());
  // Celebrities are neither forgotten nor held out.
  const std::set<int64_t> celebrities(ds.splits.celebrity.begin(), ds.splits.celebrity.end());
  for (int64_t id : ds.splits.forget_order) CHECK_FALSE(celebrities.count(id));
  for (int64_t id : ds.splits.holdout) CHECK_FALSE(celebrities.count(id));
  // Same seed, same world; another seed, another.
  CHECK(synth_mllmu_world(small_mllmu()).dataset.mllmu.size() == ds.mllmu.size());
  CHECK(synth_mllmu_world(small_mllmu()).dataset.mllmu[5].question == ds.mllmu[5].question);
  CHECK(synth_mllmu_world(small_mllmu(4)).dataset.mllmu[5].answer != ds.mllmu[5].answer);
}

TEST_CASE("synthetic MLLMU questions ask the profile's facts, each task and Type", "[data][mllmu]") {
  const SynthWorld world = synth_mllmu_world(small_mllmu());
  const Dataset& ds = world.dataset;
  std::set<std::string> paths;
  for (const auto& [path, image] : world.images) paths.insert(path);
  std::map<std::tuple<int64_t, int, int, bool>, int> count;  // person, role, task, with_image
  for (const MllmuItem& q : ds.mllmu) {
    const Person& p = ds.person(q.person);
    ++count[{q.person, int(q.role), int(q.task), q.with_image}];
    // Every asked value is one of the person's facts.
    std::set<std::string> values;
    for (const auto& [k, v] : p.facts) values.insert(v);
    if (q.role != MllmuRole::train && q.task != MllmuTask::generation) CHECK(values.count(asked_value(q)) == 1);
    if (q.task == MllmuTask::choice) {
      REQUIRE(q.options.size() == 4);
      CHECK(std::set<std::string>(q.options.begin(), q.options.end()).size() == 4);
    }
    if (q.task == MllmuTask::cloze) CHECK(q.question.find("__") != std::string::npos);
    // Image_Textual questions name no one: the image says who; Pure_Text ones name the person.
    if (q.role != MllmuRole::train) CHECK((q.question.find(p.name) == std::string::npos) == q.with_image);
    if (q.with_image) CHECK(paths.count(q.image) == 1);
    if (!q.with_image) CHECK(q.image.empty());
  }
  const int64_t someone = ds.splits.forget_order.front();
  for (int task = 0; task < 3; ++task) {
    // 4 facts: 2 asked with the image and 2 without, per task.
    CHECK(count[{someone, int(MllmuRole::eval), task, true}] == 2);
    CHECK(count[{someone, int(MllmuRole::eval), task, false}] == 2);
    CHECK(count[{someone, int(MllmuRole::test), task, true}] == 2);
    CHECK(count[{someone, int(MllmuRole::test), task, false}] == 0);
  }
  // Test_Set items use another image of the person than the profile's.
  std::map<int64_t, std::set<std::string>> eval_images, test_images;
  for (const MllmuItem& q : ds.mllmu)
    if (q.with_image) (q.role == MllmuRole::test ? test_images : eval_images)[q.person].insert(q.image);
  CHECK(test_images[someone].size() == 1);
  CHECK(eval_images[someone].size() == 1);
  CHECK(*test_images[someone].begin() != *eval_images[someone].begin());
}

TEST_CASE("MLLMU items: training pairs teach the questions' prompts, the Test_Set is never trained", "[data][mllmu]") {
  const Dataset ds = synth_mllmu_world(small_mllmu()).dataset;
  const std::vector<int64_t> forget = ds.splits.named.at("forget10");
  std::set<std::string> trained_prompts;
  for (const ItemRef& item : person_items(ds, forget, Modality::both)) {
    REQUIRE(item.kind == ItemKind::mllmu);
    CHECK(ds.mllmu[size_t(item.index)].role == MllmuRole::train);
    trained_prompts.insert(item_text(ds, item).prompt + "|" + item_text(ds, item).answer);
  }
  for (const ItemRef& item : mllmu_items(ds, forget, MllmuRole::eval))
    CHECK(trained_prompts.count(item_text(ds, item).prompt + "|" + item_text(ds, item).answer) == 1);
  for (const ItemRef& item : mllmu_items(ds, forget, MllmuRole::test))
    CHECK(trained_prompts.count(item_text(ds, item).prompt + "|" + item_text(ds, item).answer) == 0);
  // Modalities unlearn the pairs of their Type.
  for (const ItemRef& item : person_items(ds, forget, Modality::text))
    CHECK_FALSE(ds.mllmu[size_t(item.index)].with_image);
  for (const ItemRef& item : person_items(ds, forget, Modality::visual)) CHECK(ds.mllmu[size_t(item.index)].with_image);
}

TEST_CASE("MLLMU prompts: eval.py's wording for chat models, the bare question for the plain template",
          "[data][mllmu]") {
  MllmuItem q;
  q.task = MllmuTask::choice;
  q.question = "Where was the person in the image born?";
  q.options = {"Oslo", "Lima", "Kyoto", "Accra"};
  q.answer = "C";
  CHECK(mllmu_chat_question(q) ==
        "Where was the person in the image born?\nA: Oslo\nB: Lima\nC: Kyoto\nD: Accra\n"
        "Just give ONE letter representing the answer directly.");
  CHECK(mllmu_plain_prompt(q) ==
        "Question: Where was the person in the image born?\nA: Oslo\nB: Lima\nC: Kyoto\n"
        "D: Accra\nAnswer:");
  q.task = MllmuTask::cloze;
  q.question = "Ana was born in __ in __.";
  CHECK(mllmu_chat_question(q) ==
        "Ana was born in [Blank] in [Blank].\nPlease **ONLY** provide the correct answer that should replace the "
        "[Blank].");
  q.task = MllmuTask::generation;
  q.question = "Where was Ana born?";
  q.with_image = false;
  CHECK(mllmu_chat_question(q) ==
        "Where was Ana born?\nAnswer the question based on your trained knowledge in one sentence in ENGLISH.");
  q.with_image = true;
  CHECK(mllmu_chat_question(q) ==
        "Where was Ana born?\nAnswer the question based on your trained knowledge in one "
        "sentence accurately in ENGLISH.");
  q.role = MllmuRole::train;
  CHECK(mllmu_chat_question(q) == "Where was Ana born?");
}

TEST_CASE("MLLMU datasets round-trip through the dataset format", "[data][mllmu]") {
  TempDir tmp;
  const SynthWorld world = synth_mllmu_world(small_mllmu());
  const std::string dir = tmp.file("mllmu");
  write_dataset(world.dataset, world.images, dir);
  const Dataset loaded = load_dataset(dir);
  CHECK(loaded.is_mllmu());
  CHECK(loaded.splits.celebrity == world.dataset.splits.celebrity);
  CHECK(loaded.splits.named == world.dataset.splits.named);
  REQUIRE(loaded.mllmu.size() == world.dataset.mllmu.size());
  for (size_t i = 0; i < loaded.mllmu.size(); ++i) {
    const MllmuItem &a = loaded.mllmu[i], &b = world.dataset.mllmu[i];
    CHECK(a.person == b.person);
    CHECK(a.task == b.task);
    CHECK(a.role == b.role);
    CHECK(a.with_image == b.with_image);
    CHECK(a.image == b.image);
    CHECK(a.question == b.question);
    CHECK(a.options == b.options);
    CHECK(a.answer == b.answer);
  }
}

TEST_CASE("MLLMU records: bad values are refused naming the file, line and field", "[data][mllmu]") {
  TempDir tmp;
  const SynthWorld world = synth_mllmu_world(small_mllmu());
  int n = 0;
  auto broken = [&](const std::string& from, const std::string& to) {
    const std::string dir = tmp.file("w" + std::to_string(n++));
    write_dataset(world.dataset, world.images, dir);
    edit_file(dir + "/mllmu.jsonl", from, to);
    return expect_error([&] { load_dataset(dir); });
  };
  CHECK(broken("\"task\":\"choice\"", "\"task\":\"quiz\"").key() == "task");
  CHECK(broken("\"type\":\"Pure_Text\"", "\"type\":\"Text\"").key() == "type");
  CHECK(broken("\"role\":\"eval\"", "\"role\":\"exam\"").key() == "role");
  // A choice answered by a letter no option has.
  SynthWorld bad = world;
  const auto choice = std::find_if(bad.dataset.mllmu.begin(), bad.dataset.mllmu.end(),
                                   [](const MllmuItem& q) { return q.task == MllmuTask::choice; });
  choice->answer = "E";
  const std::string bad_dir = tmp.file("bad");
  write_dataset(bad.dataset, bad.images, bad_dir);
  const auto letter = expect_error([&] { load_dataset(bad_dir); });
  CHECK(letter.key() == "answer");
  CHECK(letter.where().file.find("mllmu.jsonl") != std::string::npos);
  CHECK(letter.where().line >= 1);
  CHECK(broken("\"person\":0,", "\"person\":999,").key() == "person");
  CHECK(broken("\"image\":\"images/person_0000/00.png\"", "\"image\":\"../x.png\"").key() == "image");
  // A celebrity also in forget_order.
  const std::string dir = tmp.file("split");
  write_dataset(world.dataset, world.images, dir);
  const int64_t celebrity = world.dataset.splits.celebrity.front();
  edit_file(dir + "/manifest.json", "\"forget_order\": [",
            "\"forget_order\": [\n    " + std::to_string(celebrity) + ",");
  CHECK(expect_error([&] { load_dataset(dir); }).key() == "splits.celebrity");
}

TEST_CASE("MLLMU-Bench's published splits that do not nest are the only ones used and Test_Set rows keep every image",
          "[data][mllmu]") {
  TempDir tmp;
  SynthWorld world = synth_mllmu_world(small_mllmu());
  // As the hub's: forget sets drawn independently (export_mllmu.py writes splits_nest false).
  world.dataset.splits.nest = false;
  // A Test_Set question lists its row's images; the evaluation asks it with one of them.
  std::vector<std::string> candidates;
  for (const auto& [path, image] : world.images) candidates.push_back(path);
  REQUIRE(candidates.size() >= 3);
  candidates.resize(3);
  for (auto& item : world.dataset.mllmu)
    if (item.role == MllmuRole::test && item.with_image) {
      item.images = candidates;
      item.image = mllmu_test_image(item.person, item.images);
    }
  const std::string dir = tmp.file("mllmu");
  write_dataset(world.dataset, world.images, dir);
  const Dataset loaded = load_dataset(dir);
  CHECK_FALSE(loaded.splits.nest);
  // The published fractions are the named splits; any other is refused, naming them.
  const std::string manifest = loaded.manifest_path();
  CHECK(forget_persons(loaded.splits, 10, manifest) == world.dataset.splits.named.at("forget10"));
  const Error other = expect_error([&] { forget_persons(loaded.splits, 20, manifest); });
  CHECK(other.key() == "forget_fraction");
  CHECK(other.message().find("do not nest") != std::string::npos);
  CHECK(std::string(other.what()).find("published fraction: 5 %, 10 %, 15 %") != std::string::npos);
  // Each Test_Set question kept its row's images, and every question of a profile is
  // asked with the same one of them, the same on every load.
  std::map<int64_t, std::set<std::string>> chosen;
  size_t test_items = 0;
  for (const auto& item : loaded.mllmu)
    if (item.role == MllmuRole::test && item.with_image) {
      ++test_items;
      CHECK(item.images == candidates);
      CHECK(std::find(candidates.begin(), candidates.end(), item.image) != candidates.end());
      chosen[item.person].insert(item.image);
    }
  CHECK(test_items > 0);
  std::set<std::string> used;
  for (const auto& [person, images] : chosen) {
    CHECK(images.size() == 1);
    used.insert(images.begin(), images.end());
  }
  CHECK(used.size() > 1);  // the draw depends on the profile
  // Only a Test_Set question may list images.
  SynthWorld misplaced = world;
  for (auto& item : misplaced.dataset.mllmu)
    if (item.role == MllmuRole::test && item.with_image) item.role = MllmuRole::eval;
  const std::string misplaced_dir = tmp.file("misplaced");
  write_dataset(misplaced.dataset, misplaced.images, misplaced_dir);
  CHECK(expect_error([&] { load_dataset(misplaced_dir); }).key() == "images");
}
