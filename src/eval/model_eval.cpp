#include "eval/model_eval.h"

#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <set>

#include "common/error.h"
#include "data/batch.h"
#include "data/splits.h"
#include "model/autocast.h"
#include "model/greedy_decoder.h"
#include "model/scoring.h"

namespace clear_sweep {
namespace {

std::vector<ItemRef> capped(std::vector<ItemRef> items, int64_t max_items) {
  if (max_items <= 0 || int64_t(items.size()) <= max_items) return items;
  std::vector<ItemRef> out;
  for (int64_t i = 0; i < max_items; ++i) out.push_back(items[size_t(i * int64_t(items.size()) / max_items)]);
  return out;
}

/// MLLMU-Bench's questions of `persons`, capped by whole profiles: an even spread over
/// the items would alias with the fixed order of each profile's questions and could drop
/// every question of one task and Type.
std::vector<ItemRef> capped_profiles(const Dataset& ds, const std::vector<int64_t>& persons, MllmuRole role,
                                     int64_t max_items) {
  std::vector<ItemRef> all = mllmu_items(ds, persons, role);
  if (max_items <= 0 || int64_t(all.size()) <= max_items) return all;
  for (size_t k = persons.size() - 1; k >= 1; --k) {
    std::vector<int64_t> some;
    for (size_t i = 0; i < k; ++i) some.push_back(persons[i * persons.size() / k]);
    std::vector<ItemRef> items = mllmu_items(ds, some, role);
    if (int64_t(items.size()) <= max_items) return items;
  }
  return capped(all, max_items);  // one profile has more questions than the cap
}

}  // namespace

EvalSets eval_sets(const Dataset& ds, double fraction, Modality modality, int64_t max_items, bool sees_images) {
  return eval_sets(ds, job_persons(ds, fraction), modality, max_items, sees_images);
}

EvalSets eval_sets(const Dataset& ds, const JobPersons& persons, Modality modality, int64_t max_items,
                   bool sees_images) {
  const auto& forget = persons.forget;
  const auto& retain = persons.retain;
  EvalSets s;
  if (ds.is_mllmu()) {
    s.mllmu_forget = capped_profiles(ds, forget, MllmuRole::eval, max_items);
    s.mllmu_test = capped_profiles(ds, forget, MllmuRole::test, max_items);
    s.mllmu_retain = capped_profiles(ds, retain, MllmuRole::eval, max_items);
    s.mllmu_celebrity = capped_profiles(ds, ds.splits.celebrity, MllmuRole::eval, max_items);
    return s;
  }
  CS_ASSERT(sees_images || modality == Modality::text,
            "a text-only model scored on the " + std::string(modality_name(modality)) + " modality");
  // TOFU scores retention on retain_perturbed (its first 20 authors, whatever the split
  // forgets): the retained persons of splits.retain_scored where the dataset names them.
  const std::set<int64_t> scored(ds.splits.retain_scored.begin(), ds.splits.retain_scored.end());
  std::vector<int64_t> retained;
  for (int64_t id : retain)
    if (!ds.is_tofu() || scored.empty() || scored.count(id)) retained.push_back(id);
  s.forget = capped(person_items(ds, forget, modality), max_items);
  s.retain = capped(person_items(ds, retained, modality), max_items);
  s.holdout = capped(person_items(ds, ds.splits.holdout, modality), max_items);
  // A text-only model is asked no face and no real question with a picture.
  if (sees_images) {
    s.forget_faces = capped(face_items(ds, forget), max_items);
    s.retain_faces = capped(face_items(ds, retain), max_items);
    s.holdout_faces = capped(face_items(ds, ds.splits.holdout), max_items);
  }
  auto asked = [&](const std::vector<ItemRef>& items) { return sees_images ? items : text_only_items(ds, items); };
  s.real_faces = capped(asked(real_face_items(ds)), max_items);
  s.real_world = capped(asked(real_world_items(ds)), max_items);
  if (ds.is_tofu()) s.real_authors = capped(real_author_items(ds), max_items);
  return s;
}

SetScores score_set(Vlm& model, const Tokenizer& tok, const Dataset& ds, ImageTensors& images,
                    const std::vector<ItemRef>& items, const ScoreOptions& o) {
  torch::NoGradGuard no_grad;
  const PromptFormat format = prompt_format(model->config(), images);
  const auto device = model->parameters().front().device();
  AutocastScope autocast(device);     // bf16 on GPU, as training
  InferenceWeights inference(model);  // adapters folded in, q/k/v and gate/up fused
  SetScores s;
  s.answer_loss.assign(items.size(), std::numeric_limits<double>::quiet_NaN());
  s.paraphrase_loss.assign(items.size(), std::numeric_limits<double>::quiet_NaN());
  s.perturbed_loss.assign(items.size(), {});
  s.answer_tokens.assign(items.size(), {});

  // Every answer to score is a row: (item, which) with which -1 answer, -2 paraphrase,
  // k >= 0 the k-th wrong alternative.
  struct Row {
    size_t item;
    int which;
    Sequence sequence;
  };
  std::vector<Row> rows;
  std::vector<ItemText> texts;
  for (size_t i = 0; i < items.size(); ++i) {
    texts.push_back(item_text(ds, items[i]));
    const ItemText& t = texts.back();
    s.answers.push_back(t.answer);
    rows.push_back({i, -1, make_sequence(tok, template_prompt(t, format), t.answer, t.image, format)});
    if (!t.paraphrased_answer.empty())
      rows.push_back({i, -2, make_sequence(tok, template_prompt(t, format), t.paraphrased_answer, t.image, format)});
    for (size_t k = 0; k < t.perturbed_answers.size(); ++k)
      rows.push_back(
          {i, int(k), make_sequence(tok, template_prompt(t, format), t.perturbed_answers[k], t.image, format)});
    s.perturbed_loss[i].assign(t.perturbed_answers.size(), std::numeric_limits<double>::quiet_NaN());
  }
  for (size_t first = 0; first < rows.size(); first += size_t(o.batch_size)) {
    const size_t last = std::min(rows.size(), first + size_t(o.batch_size));
    std::vector<Sequence> batch;
    for (size_t r = first; r < last; ++r) batch.push_back(rows[r].sequence);
    const ModelInputs in =
        to_model_inputs(collate(batch, padding_id(tok, model->config()), PadSide::right), images, device);
    const AnswerTokenScores scores = score_answer_tokens(model, in);
    const torch::Tensor mean = scores.sums.mean().to(torch::kCPU).to(torch::kDouble);
    const double* values = mean.data_ptr<double>();
    // The answers' own tokens, for the memorisation and membership metrics.
    const torch::Tensor stats =
        torch::stack({scores.logprob, scores.correct.to(torch::kFloat), scores.mean_logprob, scores.var_logprob})
            .to(torch::kCPU)
            .to(torch::kDouble)
            .contiguous();  // [4, N]
    const torch::Tensor token_row = scores.row.to(torch::kCPU).contiguous();
    const int64_t tokens = token_row.size(0);
    const double* stat = stats.data_ptr<double>();
    const int64_t* row_of = token_row.data_ptr<int64_t>();
    for (int64_t k = 0; k < tokens; ++k) {
      const Row& row = rows[first + size_t(row_of[k])];
      if (row.which != -1) continue;
      TokenScores& t = s.answer_tokens[row.item];
      t.logprob.push_back(stat[k]);
      t.correct.push_back(stat[tokens + k] > 0.5);
      t.mean_logprob.push_back(stat[2 * tokens + k]);
      t.var_logprob.push_back(stat[3 * tokens + k]);
    }
    for (size_t r = first; r < last; ++r) {
      const Row& row = rows[r];
      const double loss = values[r - first];
      if (row.which == -1)
        s.answer_loss[row.item] = loss;
      else if (row.which == -2)
        s.paraphrase_loss[row.item] = loss;
      else
        s.perturbed_loss[row.item][size_t(row.which)] = loss;
    }
  }

  if (!o.generate) return s;
  for (const auto& t : texts) s.references.push_back(t.answer);
  GenerateOptions g;
  g.max_new_tokens = o.max_new_tokens;
  g.eos_id = tok.special().eos;
  g.stop_ids = tok.end_of_turn_ids();
  // Batched by prompt length, longest first: rows of a batch pad little, and the first
  // batch sizes the decoder's cache, which the later ones reuse (with its CUDA graphs).
  std::vector<Sequence> prompts;
  for (const auto& t : texts) prompts.push_back(make_sequence(tok, template_prompt(t, format), "", t.image, format));
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return prompts[a].prompt.size() > prompts[b].prompt.size(); });
  s.generations.assign(items.size(), "");
  GreedyDecoder decoder(model, g);
  const size_t batch = size_t(std::max<int64_t>(1, o.generation_batch));
  for (size_t first = 0; first < order.size(); first += batch) {
    std::vector<Sequence> group;
    for (size_t k = first; k < std::min(order.size(), first + batch); ++k) group.push_back(prompts[order[k]]);
    const auto in =
        to_model_inputs(collate(group, padding_id(tok, model->config()), PadSide::left, true), images, device);
    const auto generated = decoder.generate(in);
    for (size_t k = 0; k < generated.size(); ++k) {
      std::string text = tok.decode(generated[k]);
      if (!text.empty() && text[0] == ' ') text.erase(0, 1);
      s.generations[order[first + k]] = std::move(text);
    }
  }
  return s;
}

namespace {

/// An MLLMU-Bench set: greedy answers to every question, task by task (a letter needs
/// fewer new tokens than a sentence), with each item's task and Type for the metrics.
MllmuSetScores score_mllmu_set(Vlm& model, const Tokenizer& tok, const Dataset& ds, ImageTensors& images,
                               const std::vector<ItemRef>& items, const ScoreOptions& o) {
  MllmuSetScores out;
  const size_t n = items.size();
  out.scores.answer_loss.assign(n, std::numeric_limits<double>::quiet_NaN());
  out.scores.paraphrase_loss.assign(n, std::numeric_limits<double>::quiet_NaN());
  out.scores.perturbed_loss.assign(n, {});
  out.scores.references.assign(n, "");
  out.scores.generations.assign(n, "");
  for (const ItemRef& item : items) {
    const MllmuItem& q = ds.mllmu.at(size_t(item.index));
    out.tasks.push_back(q.task);
    out.with_image.push_back(q.with_image);
  }
  for (MllmuTask task : {MllmuTask::choice, MllmuTask::cloze, MllmuTask::generation}) {
    std::vector<size_t> at;
    std::vector<ItemRef> group;
    for (size_t i = 0; i < n; ++i)
      if (out.tasks[i] == task) {
        at.push_back(i);
        group.push_back(items[i]);
      }
    if (group.empty()) continue;
    ScoreOptions g = o;
    if (task == MllmuTask::choice) g.max_new_tokens = std::min<int64_t>(o.max_new_tokens, 4);  // one letter
    const SetScores scores = score_set(model, tok, ds, images, group, g);
    for (size_t k = 0; k < at.size(); ++k) {
      out.scores.answer_loss[at[k]] = scores.answer_loss[k];
      out.scores.references[at[k]] = scores.references[k];
      out.scores.generations[at[k]] = scores.generations[k];
    }
  }
  return out;
}

}  // namespace

std::vector<double> gradient_norms(Vlm& model, const Tokenizer& tok, const Dataset& ds, ImageTensors& images,
                                   const std::vector<ItemRef>& items) {
  const auto device = model->parameters().front().device();
  const PromptFormat format = prompt_format(model->config(), images);
  std::vector<torch::Tensor> weights = model->parameters();
  for (const auto& a : model->adapter_parameters()) weights.push_back(a);
  std::vector<bool> trained;  // given back at the end
  for (auto& w : weights) {
    trained.push_back(w.requires_grad());
    w.set_requires_grad(true);
    w.mutable_grad() = torch::Tensor();
  }
  std::vector<double> out;
  for (const auto& item : items) {
    const Sequence seq = item_sequence(tok, item_text(ds, item), format);
    const ModelInputs in =
        to_model_inputs(collate({seq}, padding_id(tok, model->config()), PadSide::right), images, device);
    torch::Tensor loss;  // [1]
    {
      AutocastScope autocast(device);
      loss = score_answers(model, in).mean();
    }
    loss.sum().backward();
    double sum = 0;
    size_t n = 0;
    for (auto& w : weights)
      if (w.grad().defined()) {
        sum += w.grad().to(torch::kFloat).norm().item<double>();
        ++n;
        w.mutable_grad() = torch::Tensor();
      }
    out.push_back(n ? sum / double(n) : std::numeric_limits<double>::quiet_NaN());
  }
  for (size_t i = 0; i < weights.size(); ++i) weights[i].set_requires_grad(trained[i]);
  return out;
}

EvalInputs evaluate_model(Vlm& model, const Tokenizer& tok, const Dataset& ds, ImageTensors& images,
                          const EvalSets& sets, const ScoreOptions& o) {
  ScoreOptions no_generation = o;
  no_generation.generate = false;
  // The inference weights once for every set (each score_set would make its own), given
  // back before GradNorm, which differentiates the layers as they train.
  std::optional<AutocastScope> autocast(std::in_place, model->parameters().front().device());
  std::optional<InferenceWeights> inference(std::in_place, model);
  EvalInputs in;
  if (ds.is_mllmu()) {
    in.mllmu = true;
    in.mllmu_forget = score_mllmu_set(model, tok, ds, images, sets.mllmu_forget, o);
    in.mllmu_test = score_mllmu_set(model, tok, ds, images, sets.mllmu_test, o);
    in.mllmu_retain = score_mllmu_set(model, tok, ds, images, sets.mllmu_retain, o);
    in.mllmu_celebrity = score_mllmu_set(model, tok, ds, images, sets.mllmu_celebrity, o);
    return in;
  }
  in.text_only = !model->config().has_vision;
  in.forget = score_set(model, tok, ds, images, sets.forget, o);
  in.retain = score_set(model, tok, ds, images, sets.retain, o);
  in.holdout = score_set(model, tok, ds, images, sets.holdout, no_generation);
  ScoreOptions names = o;
  names.max_new_tokens = std::min<int64_t>(o.max_new_tokens, 16);  // a name is short
  in.forget_faces = score_set(model, tok, ds, images, sets.forget_faces, names);
  in.retain_faces = score_set(model, tok, ds, images, sets.retain_faces, names);
  in.holdout_faces = score_set(model, tok, ds, images, sets.holdout_faces, names);
  in.real_faces = score_set(model, tok, ds, images, sets.real_faces, no_generation);
  // TOFU asks its real authors and world facts for an answer too (their ROUGE).
  in.tofu = ds.is_tofu();
  in.real_world = score_set(model, tok, ds, images, sets.real_world, in.tofu ? o : no_generation);
  in.real_authors = score_set(model, tok, ds, images, sets.real_authors, o);
  inference.reset();
  autocast.reset();
  if (o.gradient_norms) {
    in.forget.grad_norm = gradient_norms(model, tok, ds, images, sets.forget);
    in.holdout.grad_norm = gradient_norms(model, tok, ds, images, sets.holdout);
  }
  return in;
}

}  // namespace clear_sweep
