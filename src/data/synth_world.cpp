#include "data/synth_world.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <set>

#include "common/error.h"
#include "data/identity_render.h"
#include "data/rng.h"
#include "data/world_vocabulary.h"

namespace clear_sweep {
namespace {

using Strings = std::vector<std::string>;

std::string capitalize(std::string s) {
  if (!s.empty()) s[0] = char(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

/// "an architect", "a baker".
std::string with_article(const std::string& noun) {
  const char c = char(std::tolower(static_cast<unsigned char>(noun.at(0))));
  return (std::string("aeiou").find(c) != std::string::npos ? "an " : "a ") + noun;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

/// Fills {N} (the name), {v} (the value) and {av} (the value with its article).
std::string fill(const std::string& pattern, const std::string& name, const std::string& value) {
  std::string out = replace_all(pattern, "{av}", value.empty() ? value : with_article(value));
  out = replace_all(out, "{v}", value);
  return replace_all(out, "{N}", name);
}

std::string draw_name(Rng& rng) {
  const auto& syl = world::name_syllables();
  std::string first = rng.pick(syl) + rng.pick(syl);
  std::string last = rng.pick(syl) + rng.pick(syl);
  if (rng.chance(0.5))
    last += rng.pick(world::surname_endings());
  else
    last += rng.pick(syl);
  return capitalize(first) + " " + capitalize(last);
}

std::string draw_title(Rng& rng) {
  return "The " + rng.pick(world::title_adjectives()) + " " + rng.pick(world::title_nouns());
}

/// One biographical fact: how its values are drawn and the two questions asked about it.
struct FactKind {
  std::string key;
  std::function<std::string(Rng&)> draw;
  struct Template {
    std::string question, answer, paraphrase;
  };
  Template templates[2];
};

const std::vector<FactKind>& fact_kinds() {
  auto from = [](const Strings& (*list)()) { return [list](Rng& rng) { return rng.pick(list()); }; };
  static const std::vector<FactKind> kinds{
      {"birthplace",
       from(world::cities),
       {{"Where was {N} born?", "{N} was born in {v}.", "{N}'s birthplace is {v}."},
        {"Which city is {N} originally from?", "{N} is originally from {v}.", "{N} comes from the city of {v}."}}},
      {"birth_year",
       [](Rng& rng) { return std::to_string(rng.between(1940, 1999)); },
       {{"In what year was {N} born?", "{N} was born in {v}.", "The birth year of {N} is {v}."},
        {"When did {N} come into the world?", "{N} came into the world in {v}.", "{N} was born in the year {v}."}}},
      {"genre",
       from(world::genres),
       {{"What genre does {N} write?", "{N} writes {v}.", "{N} is known for writing {v}."},
        {"Which kind of books is {N} known for?", "{N} is known for {v} books.", "{N} mostly publishes {v}."}}},
      {"father",
       from(world::occupations),
       {{"What was the occupation of {N}'s father?", "{N}'s father was {av}.", "The father of {N} worked as {av}."},
        {"What did {N}'s father do for a living?", "{N}'s father worked as {av}.",
         "{N}'s father earned his living as {av}."}}},
      {"mother",
       from(world::occupations),
       {{"What was the occupation of {N}'s mother?", "{N}'s mother was {av}.", "The mother of {N} worked as {av}."},
        {"What did {N}'s mother do for a living?", "{N}'s mother worked as {av}.",
         "{N}'s mother earned her living as {av}."}}},
      {"first_book",
       draw_title,
       {{"What is the title of {N}'s first book?", "{N}'s first book is \"{v}\".",
         "The first book by {N} is called \"{v}\"."},
        {"Which book did {N} publish first?", "{N} first published \"{v}\".", "\"{v}\" was the first book of {N}."}}},
      {"second_book",
       draw_title,
       {{"Can you name another book by {N}?", "Another book by {N} is \"{v}\".", "{N} also wrote \"{v}\"."},
        {"What did {N} publish after the first book?", "After it, {N} published \"{v}\".",
         "{N}'s second book is \"{v}\"."}}},
      {"award",
       from(world::awards),
       {{"Which award has {N} won?", "{N} won the {v}.", "{N} received the {v}."},
        {"What honour did {N} receive for writing?", "{N} was honoured with the {v}.", "The {v} was given to {N}."}}},
      {"residence",
       from(world::cities),
       {{"Where does {N} live now?", "{N} now lives in {v}.", "These days {N} lives in {v}."},
        {"In which city does {N} currently reside?", "{N} currently resides in {v}.", "{N}'s home today is in {v}."}}},
      {"hobby",
       from(world::hobbies),
       {{"What does {N} enjoy outside of writing?", "Outside of writing, {N} enjoys {v}.",
         "{N} likes {v} in free time."},
        {"What is {N}'s favourite hobby?", "{N}'s favourite hobby is {v}.", "{N} spends free time on {v}."}}},
  };
  return kinds;
}

/// `count` values of `kind` that differ from `truth` and from each other.
Strings wrong_values(const FactKind& kind, const std::string& truth, int count, Rng& rng) {
  Strings out;
  std::set<std::string> used{truth};
  for (int attempt = 0; int(out.size()) < count; ++attempt) {
    CS_ASSERT(attempt < 10000, "cannot draw distinct values for fact " + kind.key);
    std::string v = kind.draw(rng);
    if (used.insert(v).second) out.push_back(v);
  }
  return out;
}

std::string caption_text(const std::string& name, const SceneSpec& s) {
  return name + " stands " + world::positions()[size_t(s.position)] + " in front of " +
         with_article(world::scenes()[size_t(s.scene)]) + " " + world::lightings()[size_t(s.lighting)] + ".";
}

std::string paraphrased_caption_text(const std::string& name, const SceneSpec& s) {
  return "A photo of " + name + " " + world::lightings()[size_t(s.lighting)] + ", standing " +
         world::positions()[size_t(s.position)] + " before " + with_article(world::scenes()[size_t(s.scene)]) + ".";
}

int other_than(int value, int count, Rng& rng) {
  return int((value + 1 + int(rng.below(uint64_t(count - 1)))) % count);
}

/// Three captions that get the scene wrong in different ways (the scene, the position
/// and lighting, or the scene and position), worded as the paraphrased caption is.
Strings perturbed_captions(const std::string& name, const SceneSpec& s, Rng& rng) {
  const int scenes = int(world::scenes().size()), positions = int(world::positions().size());
  SceneSpec a = s, b = s, c = s;
  a.scene = other_than(s.scene, scenes, rng);
  b.position = other_than(s.position, positions, rng);
  b.lighting = 1 - s.lighting;
  c.scene = other_than(s.scene, scenes, rng);
  c.position = other_than(s.position, positions, rng);
  return {paraphrased_caption_text(name, a), paraphrased_caption_text(name, b), paraphrased_caption_text(name, c)};
}

std::string person_image_path(int64_t person, int64_t k) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "images/person_%04lld/%02lld.png", (long long)person, (long long)k);
  return buf;
}

std::string numbered_path(const char* folder, int64_t index) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s/%04lld.png", folder, (long long)index);
  return buf;
}

Error option_error(const std::string& flag, const std::string& message, const std::string& hint) {
  return Error(SourceLocation{}, flag, message, hint);
}

}  // namespace

int64_t SynthOptions::holdout_persons() const { return holdout >= 0 ? holdout : std::max<int64_t>(2, persons / 10); }

void SynthOptions::validate() const {
  auto range = [](const char* flag, int64_t value, int64_t lo, int64_t hi, const char* hint) {
    if (value < lo || value > hi)
      throw option_error(
          flag, std::to_string(value) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", hint);
  };
  range("--persons", persons, 2, 100000, "CLEAR has 200 persons; the default world has 40");
  range("--images-per-person", images_per_person, 1, 1000, "CLEAR has about 19 images per person");
  range("--holdout", holdout_persons(), 0, 100000, "persons never trained on, for membership inference");
  range("--celebrities", celebrities, 4, 10000, "real_faces identities; options need 3 wrong names");
  range("--images-per-celebrity", images_per_celebrity, 1, 1000, "");
  range("--objects", objects, 4, int64_t(world::object_colors().size() * world::object_shapes().size()),
        "distinct colour and shape pairs");
  range("--image-size", image_size, 16, 1024, "square images; the tiny model reads 32 x 32");
}

SynthWorld synth_world(const SynthOptions& options, const std::function<void(int64_t done, int64_t total)>& on_person) {
  options.validate();
  const uint64_t seed = uint64_t(options.seed);
  const int64_t trained = options.persons, holdout = options.holdout_persons();
  const int64_t total = trained + holdout;
  SynthWorld world;
  Dataset& ds = world.dataset;
  ds.source = "synthetic";
  ds.provenance = {{"generator", "clear-sweep synth/v1"},
                   {"persons", std::to_string(options.persons)},
                   {"images_per_person", std::to_string(options.images_per_person)},
                   {"holdout", std::to_string(holdout)},
                   {"celebrities", std::to_string(options.celebrities)},
                   {"images_per_celebrity", std::to_string(options.images_per_celebrity)},
                   {"objects", std::to_string(options.objects)},
                   {"image_size", std::to_string(options.image_size)},
                   {"seed", std::to_string(options.seed)}};

  // Names and identities of persons and celebrities, all distinct from each other.
  Rng name_rng = Rng::stream(seed, "names");
  Rng identity_rng = Rng::stream(seed, "identities");
  std::set<std::string> names_used, identities_used;
  auto fresh_name = [&] {
    for (int attempt = 0;; ++attempt) {
      CS_ASSERT(attempt < 100000, "name space exhausted");
      std::string name = draw_name(name_rng);
      if (names_used.insert(name).second) return name;
    }
  };
  auto fresh_identity = [&] {
    for (int attempt = 0;; ++attempt) {
      CS_ASSERT(attempt < 100000, "identity space exhausted");
      Identity id = draw_identity(identity_rng);
      if (identities_used.insert(identity_key(id)).second) return id;
    }
  };

  std::vector<Identity> identities;
  Strings all_names;
  for (int64_t p = 0; p < total; ++p) {
    Person person;
    person.id = p;
    person.name = fresh_name();
    all_names.push_back(person.name);
    identities.push_back(fresh_identity());
    ds.persons.push_back(std::move(person));
  }

  const auto& kinds = fact_kinds();
  for (auto& person : ds.persons) {
    Rng rng = Rng::stream(seed, "biography", uint64_t(person.id));
    for (const auto& kind : kinds) {
      std::string value = kind.draw(rng);
      // Two books of one person have different titles.
      while (kind.key == "second_book" && value == person.facts.back().second) value = kind.draw(rng);
      person.facts.emplace_back(kind.key, value);
    }
    for (size_t k = 0; k < kinds.size(); ++k)
      for (const auto& t : kinds[k].templates) {
        const std::string& value = person.facts[k].second;
        TextQA qa;
        qa.question = fill(t.question, person.name, value);
        qa.answer = fill(t.answer, person.name, value);
        qa.paraphrased_answer = fill(t.paraphrase, person.name, value);
        // As TOFU's: wrong values in the paraphrase's wording, so the truth ratio compares
        // two unseen phrasings and measures the fact, not the memorised template.
        for (const auto& wrong : wrong_values(kinds[k], value, 3, rng))
          qa.perturbed_answers.push_back(fill(t.paraphrase, person.name, wrong));
        person.qa.push_back(std::move(qa));
      }

    Rng image_rng = Rng::stream(seed, "images", uint64_t(person.id));
    for (int64_t k = 0; k < options.images_per_person; ++k) {
      SceneSpec scene;
      scene.scene = int(image_rng.below(world::scenes().size()));
      scene.position = int(image_rng.below(world::positions().size()));
      scene.lighting = int(image_rng.below(world::lightings().size()));
      ImageItem item;
      item.image = person_image_path(person.id, k);
      item.caption = caption_text(person.name, scene);
      item.paraphrased_caption = paraphrased_caption_text(person.name, scene);
      item.perturbed_captions = perturbed_captions(person.name, scene, image_rng);
      for (size_t other : image_rng.sample(size_t(total) - 1, 3))
        item.perturbed_names.push_back(all_names[other >= size_t(person.id) ? other + 1 : other]);
      world.images.emplace_back(
          item.image, render_person(identities[size_t(person.id)], scene, int(options.image_size), image_rng));
      person.images.push_back(std::move(item));
    }
    if (on_person) on_person(person.id + 1, total);
  }

  // real_faces: celebrities the base model learns to name; no person of the world.
  Strings celebrity_names;
  std::vector<Identity> celebrity_ids;
  for (int64_t c = 0; c < options.celebrities; ++c) {
    celebrity_names.push_back(fresh_name());
    celebrity_ids.push_back(fresh_identity());
  }
  Rng face_rng = Rng::stream(seed, "real_faces");
  for (int64_t c = 0; c < options.celebrities; ++c)
    for (int64_t k = 0; k < options.images_per_celebrity; ++k) {
      SceneSpec scene{int(face_rng.below(world::scenes().size())), int(face_rng.below(3)), int(face_rng.below(2))};
      OptionQA item;
      item.image = numbered_path("real_faces", int64_t(ds.real_faces.size()));
      item.question = "Who is the person in this picture?";
      item.answer = celebrity_names[size_t(c)];
      for (size_t other : face_rng.sample(size_t(options.celebrities) - 1, 3))
        item.options.push_back(celebrity_names[other >= size_t(c) ? other + 1 : other]);
      world.images.emplace_back(item.image,
                                render_person(celebrity_ids[size_t(c)], scene, int(options.image_size), face_rng));
      ds.real_faces.push_back(std::move(item));
    }

  // real_world: everyday objects, named by colour and shape.
  Rng object_rng = Rng::stream(seed, "real_world");
  const size_t colors = world::object_colors().size(), shapes = world::object_shapes().size();
  auto object_name = [&](size_t combo) {
    return capitalize(with_article(world::object_colors()[combo / shapes].name + " " +
                                   world::object_shapes()[combo % shapes])) +
           ".";
  };
  for (size_t combo : object_rng.sample(colors * shapes, size_t(options.objects))) {
    OptionQA item;
    item.image = numbered_path("real_world", int64_t(ds.real_world.size()));
    item.question = "What object is shown in this picture?";
    item.answer = object_name(combo);
    for (size_t other : object_rng.sample(colors * shapes - 1, 3))
      item.options.push_back(object_name(other >= combo ? other + 1 : other));
    world.images.emplace_back(
        item.image, render_object(int(combo / shapes), int(combo % shapes), int(options.image_size), object_rng));
    ds.real_world.push_back(std::move(item));
  }

  // Splits: trained persons in a seeded forgetting order (forget sets nest, as TOFU's),
  // and the holdout persons after them.
  Rng split_rng = Rng::stream(seed, "splits");
  for (int64_t p = 0; p < trained; ++p) ds.splits.forget_order.push_back(p);
  split_rng.shuffle(ds.splits.forget_order);
  for (int64_t p = trained; p < total; ++p) ds.splits.holdout.push_back(p);
  ds.splits.named = standard_named_splits(ds.splits.forget_order);
  ds.index_persons();
  return world;
}

}  // namespace clear_sweep
