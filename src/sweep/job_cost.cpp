#include "sweep/job_cost.h"

#include <algorithm>
#include <cmath>

namespace clear_sweep {
namespace {

/// Images per person a model trains and is scored on: none for a text-only preset (a
/// model folder's family is not known at plan time; its stages are counted with images).
double seen_images_per_person(const SweepSpec& spec) {
  return spec.model && text_only_preset(spec.model->preset) ? 0.0 : spec.images_per_person();
}

/// Forget items a job iterates over per epoch, for its modality.
double forget_items(const SweepSpec& spec, Modality modality, double forget_fraction) {
  const double persons = double(spec.forget_persons(forget_fraction));
  const double text = persons * kCostQaPerPerson;
  const double visual = persons * spec.images_per_person();
  switch (modality) {
    case Modality::text:
      return text;
    case Modality::visual:
      return visual;
    case Modality::both:
      return text + visual;
  }
  return text + visual;
}

/// What the sweep alone says of the evaluation sets (the data is read only when a job
/// runs). Exact for the synthetic worlds (their generators' sizes: data/synth_world.h,
/// synth_tofu.h, synth_mllmu.h; tests/app/test_plan_command.cpp compares with a built
/// world); TOFU's published sizes for real TOFU; estimates for real CLEAR and MLLMU-Bench,
/// marked below.
struct EvalSizes {
  double qa_per_person = kCostQaPerPerson;
  double images_per_person = 0;  ///< seen by the model
  bool sees_images = true;       ///< false: a text-only preset, asked no face and no picture
  double holdout_persons = 0;
  double retain_scored_persons = -1;  ///< TOFU's retain_perturbed authors; -1: every retained person
  /// Real-knowledge sets; -1: not known before the folder is read, counted at the cap.
  double real_faces = 0, real_world = 0, real_authors = 0;
  bool real_world_has_images = true;  ///< CLEAR's are pictures; TOFU's world facts are text
  /// Wrong alternatives scored beside each answer (and a paraphrase for QA and captions).
  double wrong_per_qa = 3, wrong_per_caption = 3, wrong_per_face = 3, wrong_per_option = 3;
  /// MLLMU-Bench: questions per profile (every task, both Types), and celebrities.
  double mllmu_eval_per_profile = 0, mllmu_test_per_profile = 0, celebrities = 0;
};

// The synthetic generators' fixed sizes (their option defaults; a sweep cannot set them).
constexpr double kSynthRealFaces = 8 * 3;  // SynthOptions: 8 celebrities x 3 images
constexpr double kSynthObjects = 24;       // SynthOptions::objects, SynthTofuOptions::world_facts
constexpr double kSynthBooksPerAuthor = 3;
constexpr double kSynthMllmuFactsAsked = 4;  // SynthMllmuOptions::facts_asked
constexpr double kSynthMllmuTestFacts = 2;
constexpr double kMllmuTasks = 3;  // choice, cloze, generation: one each per fact asked
// Real TOFU: holdout10's 20 authors, retain_perturbed's 20, 100 real_authors and 117
// world_facts questions, 5 perturbed answers a question.
constexpr double kTofuRetainScored = 20, kTofuRealAuthors = 100, kTofuWorldFacts = 117, kTofuPerturbed = 5;
constexpr double kMllmuCelebrities = 153;

EvalSizes eval_sizes(const SweepSpec& spec) {
  EvalSizes z;
  const DataSpec& data = *spec.data;
  z.sees_images = !(spec.model && text_only_preset(spec.model->preset));
  z.images_per_person = seen_images_per_person(spec);
  const double persons = double(spec.persons());
  if (data.source == DataSource::synthetic) {
    z.holdout_persons = double(std::max<int64_t>(2, spec.persons() / 10));  // SynthOptions::holdout_persons
    if (data.is_tofu()) {
      z.real_authors = double(data.celebrities) * kSynthBooksPerAuthor;
      z.real_world = kSynthObjects;
      z.real_world_has_images = false;
    } else if (data.is_mllmu()) {
      z.mllmu_eval_per_profile = kSynthMllmuFactsAsked * kMllmuTasks;
      z.mllmu_test_per_profile = std::min(kSynthMllmuTestFacts, kSynthMllmuFactsAsked) * kMllmuTasks;
      z.celebrities = double(data.celebrities);
    } else {
      z.real_faces = kSynthRealFaces;
      z.real_world = kSynthObjects;
    }
    return z;
  }
  if (data.is_tofu()) {
    z.holdout_persons = std::round(persons / 10);
    z.retain_scored_persons = kTofuRetainScored;
    z.real_authors = kTofuRealAuthors;
    z.real_world = kTofuWorldFacts;
    z.real_world_has_images = false;
    z.wrong_per_qa = kTofuPerturbed;
    return z;
  }
  if (data.is_mllmu()) {  // estimate: the synthetic profile's shape
    z.mllmu_eval_per_profile = kSynthMllmuFactsAsked * kMllmuTasks;
    z.mllmu_test_per_profile = kSynthMllmuTestFacts * kMllmuTasks;
    z.celebrities = kMllmuCelebrities;
    return z;
  }
  // Real CLEAR: export_clear.py writes no holdout persons (but with --visual-holdout, for
  // the face kind); its real sets' sizes are the folder's; captions are taken to have as
  // many perturbed versions as TOFU's answers.
  z.real_faces = z.real_world = -1;
  z.wrong_per_qa = z.wrong_per_caption = kTofuPerturbed;
  return z;
}

double capped(double items, double cap) { return cap > 0 ? std::min(items, cap) : items; }

/// MLLMU-Bench caps by whole profiles (eval_sets' capped_profiles): as many of them as fit.
double capped_profiles(double profiles, double per_profile, double cap) {
  const double all = profiles * per_profile;
  if (cap <= 0 || all <= cap) return all;
  if (per_profile > cap) return cap;
  return std::min(profiles - 1, std::floor(cap / per_profile)) * per_profile;
}

/// A job's evaluation sets, as evaluate_model scores them (eval/model_eval.cpp).
EvalWork model_eval_work(const SweepSpec& spec, Modality modality, double forget_fraction, int64_t max_items) {
  const EvalSizes z = eval_sizes(spec);
  const double cap = double(max_items);
  const int64_t tokens = spec.eval.max_new_tokens;
  const double forget = double(spec.forget_persons(forget_fraction));
  const double retain = double(spec.persons()) - forget;
  EvalWork w;
  auto add = [&](const std::string& name, double items, double rows_per_item, int64_t new_tokens) {
    if (items > 0) w.sets.push_back({name, items, items * rows_per_item, new_tokens});
  };

  if (spec.data->is_mllmu()) {
    // Each set is scored task by task (a choice is one letter), one row an item.
    auto mllmu_set = [&](const std::string& name, double profiles, double per_profile) {
      const double items = capped_profiles(profiles, per_profile, cap);
      add(name + " choice", items / kMllmuTasks, 1, std::min(tokens, kChoiceTokens));
      add(name + " cloze", items / kMllmuTasks, 1, tokens);
      add(name + " generation", items / kMllmuTasks, 1, tokens);
    };
    mllmu_set("mllmu_forget", forget, z.mllmu_eval_per_profile);
    mllmu_set("mllmu_test", forget, z.mllmu_test_per_profile);
    mllmu_set("mllmu_retain", retain, z.mllmu_eval_per_profile);
    mllmu_set("mllmu_celebrity", z.celebrities, z.mllmu_eval_per_profile);
    return w;
  }

  // Person items of the modality, and the rows each is scored on (the answer, its
  // paraphrase, the wrong alternatives).
  const double qa = modality == Modality::visual ? 0 : z.qa_per_person;
  const double images = modality == Modality::text ? 0 : z.images_per_person;
  const double per_person = qa + images;
  const double rows =
      per_person > 0 ? (qa * (2 + z.wrong_per_qa) + images * (2 + z.wrong_per_caption)) / per_person : 0;
  const double retain_scored = z.retain_scored_persons >= 0 ? std::min(retain, z.retain_scored_persons) : retain;
  const double forget_items = capped(forget * per_person, cap);
  const double holdout_items = capped(z.holdout_persons * per_person, cap);
  add("forget", forget_items, rows, tokens);
  add("retain", capped(retain_scored * per_person, cap), rows, tokens);
  add("holdout", holdout_items, rows, 0);
  if (z.sees_images) {
    const int64_t name_tokens = std::min(tokens, kFaceNameTokens);
    const double face_rows = 1 + z.wrong_per_face;
    add("forget_faces", capped(forget * z.images_per_person, cap), face_rows, name_tokens);
    add("retain_faces", capped(retain * z.images_per_person, cap), face_rows, name_tokens);
    add("holdout_faces", capped(z.holdout_persons * z.images_per_person, cap), face_rows, name_tokens);
  }
  auto real = [&](double n) { return n < 0 ? cap : capped(n, cap); };
  const double option_rows = 1 + z.wrong_per_option;
  add("real_faces", z.sees_images ? real(z.real_faces) : 0, option_rows, 0);
  // TOFU asks its world facts and real authors for an answer too (their ROUGE).
  const bool tofu = spec.data->is_tofu();
  add("real_world", z.sees_images || !z.real_world_has_images ? real(z.real_world) : 0, option_rows, tofu ? tokens : 0);
  add("real_authors", real(z.real_authors), option_rows, tokens);
  w.gradient_items = forget_items + holdout_items;  // ScoreOptions::gradient_norms

  // The attacks score the forget set again, generation included (unlearn/robustness_attacks.cpp).
  const AttackSpec& attacks = spec.eval.attacks;
  for (const char* quant : {"quant8", "quant4"})
    if (attacks.has(quant)) add(std::string(quant) + " forget", forget_items, rows, tokens);
  if (attacks.has("relearn")) {
    const bool paraphrases = attacks.relearn_on == "paraphrases";
    // relearn_split: every item whose index crosses a multiple of 1/fraction is relearned.
    const double relearned = paraphrases ? forget_items : std::floor(forget_items * attacks.relearn_fraction);
    const double scored = paraphrases ? forget_items : forget_items - relearned;
    if (relearned > 0 && scored > 0) {
      add("relearn_before forget", scored, rows, tokens);
      add("relearn forget", scored, rows, tokens);
      w.attack_train_items = double(attacks.relearn_steps) * std::min(double(attacks.relearn_batch_size), relearned);
    }
  }
  return w;
}

int64_t job_max_items(const SweepSpec& spec, const Job& job) {
  return job.eval_max_items > 0 ? job.eval_max_items : spec.eval.max_items;
}

}  // namespace

double EvalWork::answers() const {
  double n = 0;
  for (const auto& s : sets)
    if (s.new_tokens > 0) n += s.items;
  return n;
}

double EvalWork::score_rows() const {
  double n = 0;
  for (const auto& s : sets) n += s.score_rows;
  return n;
}

double EvalWork::generation_batches(int64_t batch) const {
  double n = 0;
  for (const auto& s : sets)
    if (s.new_tokens > 0) n += std::ceil(s.items / double(batch));
  return n;
}

double EvalWork::decode_steps(int64_t batch) const {
  double n = 0;
  for (const auto& s : sets)
    if (s.new_tokens > 0) n += std::ceil(s.items / double(batch)) * double(s.new_tokens);
  return n;
}

double EvalWork::scoring_units() const { return score_rows() / 3.0 + gradient_items + attack_train_items; }

double EvalWork::units() const { return scoring_units() + answers() * kGeneratedAnswerUnits; }

void EvalWork::add(const EvalWork& other, const std::string& prefix) {
  for (EvalSetWork s : other.sets) {
    s.name = prefix + s.name;
    sets.push_back(std::move(s));
  }
  gradient_items += other.gradient_items;
  attack_train_items += other.attack_train_items;
}

JobCost job_cost_parts(const SweepSpec& spec, const MethodInfo& method, const Job& job) {
  JobCost cost;
  if (!method.needs.model) {
    const auto seconds = job.hparams.find("seconds");
    const auto epochs = job.hparams.find("epochs");
    cost.train = (seconds == job.hparams.end() ? 0.0 : hparam_as_double(seconds->second)) *
                 (epochs == job.hparams.end() ? 1.0 : hparam_as_double(epochs->second));
    return cost;
  }
  const double epochs = double(job.integer("epochs"));
  if (method.kind == ModelKind::faces) {
    // Images per epoch: forget (x balance) and retain; each of the 4N shadow models is
    // unlearned the same way. Evaluation embeds every image once per model.
    const double per_person = spec.images_per_person();
    const double forget = double(spec.forget_persons(job.forget_fraction)) * per_person;
    const double retain = double(spec.persons()) * per_person - forget;
    const double models = 1.0 + 4.0 * double(job.integer(kShadowModelsHParam));
    const double all_images = (double(spec.persons()) + std::max(2.0, 0.1 * double(spec.persons()))) * per_person;
    cost.train = models * epochs * (forget * double(job.integer("balance")) + retain) * method.passes_per_pair;
    cost.eval.sets.push_back({"embeddings", models * all_images, models * all_images, 0});
    return cost;
  }
  cost.train = epochs * forget_items(spec, job.modality, job.forget_fraction) * method.passes_per_pair;
  cost.eval = model_eval_work(spec, job.modality, job.forget_fraction, job_max_items(spec, job));
  return cost;
}

double job_cost(const SweepSpec& spec, const MethodInfo& method, const Job& job) {
  return job_cost_parts(spec, method, job).total();
}

EvalWork reference_eval_work(const SweepSpec& spec, const MethodInfo& method, const Job& job) {
  EvalWork w;
  if (!method.needs.model || method.kind != ModelKind::vlm) return w;
  const EvalWork one = model_eval_work(spec, job.modality, job.forget_fraction, job_max_items(spec, job));
  w.add(one, "original ");
  w.add(one, "gold ");
  return w;
}

double stage_cost(const SweepSpec& spec, StageKind kind, double forget_fraction) {
  if (spec.model_kind() == ModelKind::faces) {
    // Images only. A shadow trains on the pool and half the other trained persons.
    double persons = double(spec.persons());
    const double pool = double(spec.forget_persons(forget_fraction));
    if (kind == StageKind::finetune_gold) persons -= pool;
    if (kind == StageKind::train_shadow) persons = pool + std::floor((persons - pool) / 2);
    return double(spec.finetune.epochs) * persons * spec.images_per_person();
  }
  const double per_person = kCostQaPerPerson + seen_images_per_person(spec);
  double persons = double(spec.persons());
  if (kind == StageKind::finetune_gold) persons -= double(spec.forget_persons(forget_fraction));
  return double(spec.finetune.epochs) * persons * per_person;
}

EvalSeconds eval_seconds(const EvalWork& work, const DeviceTimes& device) {
  const double unit = device.unit_seconds();
  EvalSeconds s;
  s.scoring = work.scoring_units() * unit;
  if (device.decode_seconds > 0)  // each batch: its prompts' forward, then its decoding steps
    s.generation = work.answers() / 3.0 * unit + work.decode_steps(device.decode_batch) * device.decode_seconds;
  else
    s.generation = work.answers() * kGeneratedAnswerUnits * unit;
  return s;
}

}  // namespace clear_sweep
