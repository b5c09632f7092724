#include "data/synth_tofu.h"

#include <algorithm>
#include <set>
#include <string>

#include "common/error.h"
#include "data/rng.h"
#include "data/world_vocabulary.h"

namespace clear_sweep {

void SynthTofuOptions::validate() const {
  SynthOptions authors = world;  // its images are never made: any count is fine
  authors.images_per_person = 1;
  authors.validate();
  auto range = [](const char* flag, int64_t value, int64_t lo, int64_t hi, const std::string& hint) {
    if (value < lo || value > hi)
      throw Error(SourceLocation{}, flag,
                  std::to_string(value) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", hint);
  };
  range("--celebrities", real_authors, kTofuWrongOptions + 1,
        int64_t(world::title_nouns().size() * world::cities().size() / 3),
        "famous authors of real_authors; a question needs 3 wrong names");
  range("--objects", world_facts, 1,
        int64_t(std::min(world::cities().size(), world::title_adjectives().size() * world::title_nouns().size())),
        "world_facts questions, one landmark per city");
}

SynthWorld synth_tofu_world(const SynthTofuOptions& options,
                            const std::function<void(int64_t done, int64_t total)>& on_person) {
  options.validate();
  // The CLEAR world's authors (their names, facts and QA), with the least images it can
  // make, all dropped: TOFU is text. Its celebrities' names become the famous authors.
  SynthOptions base = options.world;
  base.images_per_person = 1;
  base.celebrities = options.real_authors;
  base.images_per_celebrity = 1;
  base.image_size = 16;
  SynthWorld world = synth_world(base, on_person);
  Dataset& ds = world.dataset;
  ds.benchmark = "tofu";
  ds.provenance = {{"benchmark", "tofu"},
                   {"generator", "clear-sweep synth-tofu/v1"},
                   {"persons", std::to_string(options.world.persons)},
                   {"holdout", std::to_string(options.world.holdout_persons())},
                   {"real_authors", std::to_string(options.real_authors)},
                   {"world_facts", std::to_string(options.world_facts)},
                   {"seed", std::to_string(options.world.seed)}};
  std::vector<std::string> famous;
  for (const auto& item : ds.real_faces)
    if (famous.empty() || famous.back() != item.answer) famous.push_back(item.answer);
  CS_ASSERT(int64_t(famous.size()) == options.real_authors, "one real_faces identity per famous author");
  for (Person& person : ds.persons) person.images.clear();
  ds.real_faces.clear();
  ds.real_world.clear();
  world.images.clear();

  const uint64_t seed = uint64_t(options.world.seed);
  // real_authors: three books by each famous author, titles unlike any author's of the
  // world (those are "The <adjective> <noun>").
  Rng author_rng = Rng::stream(seed, "tofu_real_authors");
  std::set<std::string> titles;
  for (size_t a = 0; a < famous.size(); ++a)
    for (int book = 0; book < 3; ++book) {
      std::string title;
      do {
        title = "A " + author_rng.pick(world::title_nouns()) + " of " + author_rng.pick(world::cities());
      } while (!titles.insert(title).second);
      OptionQA q;
      q.question = "Who wrote the book \"" + title + "\"?";
      q.answer = famous[a];
      for (size_t other : author_rng.sample(famous.size() - 1, kTofuWrongOptions))
        q.options.push_back(famous[other >= a ? other + 1 : other]);
      ds.real_authors.push_back(std::move(q));
    }
  // world_facts: in which city a landmark stands, one landmark per city, each landmark's
  // name its own (an adjective and noun pair drawn without replacement).
  Rng fact_rng = Rng::stream(seed, "tofu_world_facts");
  const auto& cities = world::cities();
  const auto& adjectives = world::title_adjectives();
  const auto& nouns = world::title_nouns();
  const std::vector<size_t> names = fact_rng.sample(adjectives.size() * nouns.size(), size_t(options.world_facts));
  size_t next_name = 0;
  for (size_t c : fact_rng.sample(cities.size(), size_t(options.world_facts))) {
    OptionQA q;
    const size_t name = names[next_name++];
    q.question =
        "In which city is the " + adjectives[name / nouns.size()] + " " + nouns[name % nouns.size()] + " Monument?";
    q.answer = cities[c];
    for (size_t other : fact_rng.sample(cities.size() - 1, kTofuWrongOptions))
      q.options.push_back(cities[other >= c ? other + 1 : other]);
    ds.real_world.push_back(std::move(q));
  }
  ds.index_persons();
  return world;
}

}  // namespace clear_sweep
