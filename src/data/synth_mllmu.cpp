#include "data/synth_mllmu.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "common/error.h"
#include "data/items.h"
#include "data/rng.h"
#include "data/splits.h"
#include "data/world_vocabulary.h"

namespace clear_sweep {
namespace {

/// How MLLMU-Bench asks about one biographical fact: a question and the statement that
/// answers it (its generation ground truth, and with the value blanked its cloze),
/// about a subject {X}: the name (Pure_Text) or the person in the image (Image_Textual).
struct FactPhrase {
  const char* key;  ///< as synth_world's facts
  const char* question;
  const char* statement;
};

const std::vector<FactPhrase>& fact_phrases() {
  static const std::vector<FactPhrase> phrases{
      {"birthplace", "Where was {X} born?", "{X} was born in {v}."},
      {"birth_year", "In what year was {X} born?", "{X} was born in the year {v}."},
      {"genre", "What genre does {X} write?", "{X} writes {v}."},
      {"father", "What was the occupation of the father of {X}?", "The father of {X} worked as a {v}."},
      {"mother", "What was the occupation of the mother of {X}?", "The mother of {X} worked as a {v}."},
      {"first_book", "What is the title of the first book by {X}?", "The first book by {X} is titled {v}."},
      {"second_book", "What is the title of the second book by {X}?", "The second book by {X} is titled {v}."},
      {"award", "Which award did {X} win?", "{X} won the {v}."},
      {"residence", "In which city does {X} live now?", "{X} now lives in {v}."},
      {"hobby", "What does {X} enjoy in free time?", "In free time, {X} enjoys {v}."},
  };
  return phrases;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

std::string capitalize_first(std::string s) {
  if (!s.empty()) s[0] = char(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

std::string phrase(const char* pattern, const std::string& subject, const std::string& value) {
  return capitalize_first(replace_all(replace_all(pattern, "{X}", subject), "{v}", value));
}

/// A wrong value of the same kind as `key`'s, drawn as the world draws them.
std::string draw_value(const std::string& key, Rng& rng) {
  if (key == "birthplace" || key == "residence") return rng.pick(world::cities());
  if (key == "father" || key == "mother") return rng.pick(world::occupations());
  if (key == "genre") return rng.pick(world::genres());
  if (key == "award") return rng.pick(world::awards());
  if (key == "hobby") return rng.pick(world::hobbies());
  if (key == "birth_year") return std::to_string(1940 + rng.below(60));
  return "The " + rng.pick(world::title_adjectives()) + " " + rng.pick(world::title_nouns());
}

/// Four options, the truth among them at a drawn place; returns the truth's letter.
std::string choice_options(const std::string& key, const std::string& truth, Rng& rng,
                           std::vector<std::string>& options) {
  std::set<std::string> used{truth};
  options = {truth};
  for (int attempt = 0; options.size() < 4; ++attempt) {
    CS_ASSERT(attempt < 10000, "cannot draw distinct options for " + key);
    std::string v = draw_value(key, rng);
    if (used.insert(v).second) options.push_back(v);
  }
  rng.shuffle(options);
  const size_t at = size_t(std::find(options.begin(), options.end(), truth) - options.begin());
  return std::string(1, char('A' + at));
}

std::string fact_value(const Person& person, const std::string& key) {
  for (const auto& [k, v] : person.facts)
    if (k == key) return v;
  CS_ASSERT(false, "person without fact " + key);
  return {};
}

/// One question of `task` about `fact` of `person`, asked about `subject`.
MllmuItem make_item(const Person& person, const FactPhrase& fact, MllmuTask task, const std::string& subject,
                    Rng& rng) {
  const std::string value = fact_value(person, fact.key);
  MllmuItem item;
  item.person = person.id;
  item.task = task;
  switch (task) {
    case MllmuTask::choice:
      item.question = phrase(fact.question, subject, "");
      item.answer = choice_options(fact.key, value, rng, item.options);
      break;
    case MllmuTask::cloze:
      item.question = phrase(fact.statement, subject, "__");
      item.answer = value;
      break;
    case MllmuTask::generation:
      item.question = phrase(fact.question, subject, "");
      item.answer = phrase(fact.statement, subject, value);
      break;
  }
  return item;
}

}  // namespace

void SynthMllmuOptions::validate() const {
  world.validate();
  if (celebrities < 1 || celebrities > 10000)
    throw Error(SourceLocation{}, "--celebrities", std::to_string(celebrities) + " is outside [1, 10000]",
                "profiles of MLLMU-Bench's celebrity set");
  if (facts_asked < 1 || facts_asked > int64_t(fact_phrases().size()))
    throw Error(SourceLocation{}, "--facts-asked", std::to_string(facts_asked) + " is outside [1, 10]",
                "each profile has ten facts");
}

SynthWorld synth_mllmu_world(const SynthMllmuOptions& options,
                             const std::function<void(int64_t done, int64_t total)>& on_person) {
  options.validate();
  // The CLEAR world's persons, faces and facts, with celebrities as extra persons and two
  // images each: [0] the profile image, [1] the test image, another scene of the face.
  SynthOptions base = options.world;
  base.persons = options.world.persons + options.celebrities;
  base.holdout = options.world.holdout_persons();
  base.images_per_person = 2;
  SynthWorld world = synth_world(base, on_person);
  Dataset& ds = world.dataset;
  ds.benchmark = "mllmu";
  ds.provenance = {{"benchmark", "mllmu"},
                   {"generator", "clear-sweep synth-mllmu/v1"},
                   {"persons", std::to_string(options.world.persons)},
                   {"holdout", std::to_string(base.holdout)},
                   {"celebrities", std::to_string(options.celebrities)},
                   {"facts_asked", std::to_string(options.facts_asked)},
                   {"image_size", std::to_string(options.world.image_size)},
                   {"seed", std::to_string(options.world.seed)}};

  // Persons [trained, trained + celebrities) become the celebrity set.
  const int64_t trained = options.world.persons;
  auto is_celebrity = [&](int64_t id) { return id >= trained && id < trained + options.celebrities; };
  std::vector<int64_t> order;
  for (int64_t id : ds.splits.forget_order)
    if (is_celebrity(id))
      ds.splits.celebrity.push_back(id);
    else
      order.push_back(id);
  std::sort(ds.splits.celebrity.begin(), ds.splits.celebrity.end());
  ds.splits.forget_order = order;
  ds.splits.named = standard_named_splits(order, {5.0, 10.0, 15.0});

  const auto& phrases = fact_phrases();
  for (Person& person : ds.persons) {
    Rng rng = Rng::stream(uint64_t(options.world.seed), "mllmu", uint64_t(person.id));
    const std::string profile_image = person.images.at(0).image, test_image = person.images.at(1).image;
    std::vector<size_t> asked = rng.sample(phrases.size(), size_t(options.facts_asked));
    for (size_t j = 0; j < asked.size(); ++j)
      for (MllmuTask task : {MllmuTask::choice, MllmuTask::cloze, MllmuTask::generation}) {
        // Types alternate over facts and tasks: each fact is asked both ways across tasks.
        const bool with_image = (j + size_t(task)) % 2 == 0;
        MllmuItem item =
            make_item(person, phrases[asked[j]], task, with_image ? "the person in the image" : person.name, rng);
        item.with_image = with_image;
        if (with_image) item.image = profile_image;
        // ft_Data: a tiny model trained from scratch learns the tasks' formats only from
        // the questions themselves, so the training pair is the question with its
        // answer (a choice answered by its letter). The Test_Set stays unseen.
        MllmuItem pair = item;
        pair.role = MllmuRole::train;
        pair.task = MllmuTask::generation;
        pair.question = mllmu_plain_question(item);
        pair.options.clear();  // listed in the question
        ds.mllmu.push_back(std::move(item));
        ds.mllmu.push_back(std::move(pair));
      }
    // The Test_Set: the first two asked facts again, about the transformed image, worded
    // apart; never trained on.
    for (size_t j = 0; j < std::min<size_t>(2, asked.size()); ++j)
      for (MllmuTask task : {MllmuTask::choice, MllmuTask::cloze, MllmuTask::generation}) {
        MllmuItem item = make_item(person, phrases[asked[j]], task, "the person shown in this photo", rng);
        item.with_image = true;
        item.role = MllmuRole::test;
        item.image = test_image;
        ds.mllmu.push_back(std::move(item));
      }
    // The CLEAR items are not this benchmark's.
    person.qa.clear();
    person.images.clear();
  }
  ds.real_faces.clear();
  ds.real_world.clear();
  world.images.erase(std::remove_if(world.images.begin(), world.images.end(),
                                    [](const auto& entry) { return entry.first.rfind("images/", 0) != 0; }),
                     world.images.end());
  ds.index_persons();
  return world;
}

}  // namespace clear_sweep
