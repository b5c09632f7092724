// Attacks on unlearning (unlearn/robustness_attacks.h), measured on a tiny model that has
// memorised its world: an attack on the Original moves its forget scores little, and
// relearning a quarter of the forget set brings back what gradient ascent took from the
// rest. Also the relearn split and that the attacks leave the base model untouched.
#include <cmath>

#include "data/bpe_tokenizer.h"
#include "data/dataset_source.h"
#include "data/splits.h"
#include "model/compute_threads.h"
#include "model/finetune.h"
#include "sweep/method_catalog.h"
#include "sweep/sweep_expand.h"
#include "test_support.h"
#include "unlearn/losses.h"
#include "unlearn/robustness_attacks.h"
#include "unlearn/unlearn_loop.h"

using namespace clear_sweep;

namespace {

const char* kSweep = R"(name = "attacks"
[data]
persons = 6
images_per_person = 1
seed = 3
[model]
preset = "tiny"
[eval]
attacks = ["relearn", "quant8", "quant4"]
relearn_steps = 20
relearn_lr = 1e-2
relearn_fraction = 0.25
relearn_batch_size = 4
quant4_group_size = 16
[grid]
method = ["ga"]
modality = ["both"]
forget_fraction = [20]
[grid.hparams]
lr = [1e-2]
epochs = [2]
batch_size = [4]
)";

std::vector<ItemRef> items_of(size_t n) {
  std::vector<ItemRef> out;
  for (size_t i = 0; i < n; ++i) out.push_back(ItemRef{ItemKind::text_qa, 0, int32_t(i)});
  return out;
}

}  // namespace

TEST_CASE("relearn_split spreads the relearned share over the set and keeps both parts", "[attacks]") {
  auto split = relearn_split(items_of(8), 0.25);
  REQUIRE(split.relearn.size() == 2);
  CHECK(split.relearn[0].index == 3);
  CHECK(split.relearn[1].index == 7);
  CHECK(split.scored.size() == 6);
  for (size_t n = 2; n < 40; ++n)
    for (double fraction : {0.05, 0.25, 0.5, 0.9}) {
      INFO(n << " items, fraction " << fraction);
      split = relearn_split(items_of(n), fraction);
      CHECK(!split.relearn.empty());
      CHECK(!split.scored.empty());
      CHECK(split.relearn.size() + split.scored.size() == n);
      CHECK(std::abs(double(split.relearn.size()) - double(n) * fraction) <= 1.0);
    }
  split = relearn_split(items_of(1), 0.25);
  CHECK(split.relearn.size() + split.scored.size() == 1);
}

TEST_CASE("attacks: little change on the Original, and relearning brings back what ga forgot", "[attacks][train]") {
  set_compute_threads(1);
  const SweepSpec spec = sweep_parse(kSweep, "attacks.toml");
  const Job job = sweep_expand(spec).jobs.at(0);
  LoadedData data = load_data(*spec.data);
  BpeTokenizer tok = BpeTokenizer::train(dataset_corpus(data.dataset), 500);
  ModelConfig config = model_preset("tiny", tok.vocab_size());
  config.text.hidden = 64;
  config.text.intermediate = 128;
  config.text.layers = 2;
  torch::manual_seed(1);
  Vlm model(config);
  ImageTensors images{data.images, config.vision.image_size, torch::kCPU};
  const auto forget = person_items(data.dataset, forget_persons(data.dataset.splits, 20, "m"), Modality::both);
  const auto retain = person_items(data.dataset, retain_persons(data.dataset.splits, 20, "m"), Modality::both);
  std::vector<ItemRef> everything = forget;
  everything.insert(everything.end(), retain.begin(), retain.end());
  FinetuneOptions memorise;
  memorise.epochs = 12;
  memorise.lr = 1e-2;
  memorise.batch_size = 8;
  finetune(model, tok, data.dataset, data.images, everything, memorise, {});
  model->eval();
  model->set_base_trainable(false);

  ScoreOptions score;
  score.max_new_tokens = 8;
  const AttackContext context{tok, data.dataset,         images, forget, score, TruthRatioForm::per_item,
                              0,   LoraSpec{4, 8.0, 0.0}};
  const auto original =
      forget_attack_metrics(score_set(model, tok, data.dataset, images, forget, score), TruthRatioForm::per_item);
  REQUIRE(original.at("forget_prob") > 0.5);  // memorised
  std::vector<torch::Tensor> weights_before;
  for (const auto& p : model->parameters()) weights_before.push_back(p.clone());

  // The Original: quantization moves the forget scores a little (4 bits more than 8);
  // relearning what it already knows keeps them; its base weights come back untouched.
  const auto on_original = run_attacks(model, spec.eval.attacks, context);
  const double p = original.at("forget_prob");
  WARN("Original forget Prob " << p << "; quant8 " << on_original.at("attack_quant8_forget_prob") << ", quant4 "
                               << on_original.at("attack_quant4_forget_prob") << ", relearn "
                               << on_original.at("attack_relearn_before_forget_prob") << " -> "
                               << on_original.at("attack_relearn_forget_prob"));
  CHECK(std::abs(on_original.at("attack_quant8_forget_prob") - p) < 0.02);
  CHECK(std::abs(on_original.at("attack_quant4_forget_prob") - p) < 0.15);
  CHECK(on_original.at("attack_relearn_forget_prob") > on_original.at("attack_relearn_before_forget_prob") - 0.05);
  CHECK(on_original.size() == 16);  // 4 stages x 4 metrics
  const auto params = model->parameters();
  for (size_t i = 0; i < params.size(); ++i) CHECK(torch::equal(params[i], weights_before[i]));
  for (const auto& [name, layer] : model->linear_layers()) CHECK(!layer->has_adapter());

  // ga unlearns; relearning a quarter of the forget set brings the rest back.
  auto method = make_method(job, config);
  run_unlearning(model, *method, job, tok, data.dataset, images, forget, retain);
  const auto after_ga = run_attacks(model, spec.eval.attacks, context);
  const double forgotten = after_ga.at("attack_relearn_before_forget_prob");
  const double relearned = after_ga.at("attack_relearn_forget_prob");
  WARN("after ga: forget Prob of the scored part " << forgotten << " -> " << relearned << " after relearning");
  CHECK(forgotten < p - 0.3);
  CHECK(relearned > forgotten + 0.2);
  // The job's adapters stay (trained further); the base weights are untouched.
  for (size_t i = 0; i < params.size(); ++i) CHECK(torch::equal(params[i], weights_before[i]));
  model->detach_adapters();

  // Relearning on the paraphrased answers of the whole forget set brings back its own
  // answers, scored on every forget item.
  run_unlearning(model, *method, job, tok, data.dataset, images, forget, retain);
  AttackSpec paraphrases = spec.eval.attacks;
  paraphrases.names = {"relearn"};
  paraphrases.relearn_on = "paraphrases";
  const auto on_paraphrases = run_attacks(model, paraphrases, context);
  CHECK(on_paraphrases.size() == 8);  // relearn_before and relearn
  WARN("after ga, relearning on paraphrases: forget Prob " << on_paraphrases.at("attack_relearn_before_forget_prob")
                                                           << " -> "
                                                           << on_paraphrases.at("attack_relearn_forget_prob"));
  // Measured: 7e-5 -> 0.15 (the exact answers are never trained on).
  CHECK(on_paraphrases.at("attack_relearn_forget_prob") > on_paraphrases.at("attack_relearn_before_forget_prob") + 0.1);
  model->detach_adapters();
}
