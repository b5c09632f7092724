// The evaluation runner: set sizes and caps, every alternative scored, batching that
// does not change a loss, and the metrics of an untrained model being finite.
#include "data/bpe_tokenizer.h"
#include "data/dataset_source.h"
#include "data/synth_tofu.h"
#include "eval/model_eval.h"
#include "model/compute_threads.h"
#include "model/finetune.h"
#include "sweep/sweep_spec.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

struct Fixture {
  LoadedData data = [] {
    DataSpec d;
    d.persons = 10;
    d.images_per_person = 2;
    d.seed = 4;
    return load_data(d);
  }();
  BpeTokenizer tok = BpeTokenizer::train(dataset_corpus(data.dataset), 600);
  Vlm model = [this] {
    torch::manual_seed(2);
    ModelConfig c = model_preset("tiny", tok.vocab_size());
    Vlm m(c);
    m->eval();
    return m;
  }();
  ImageTensors images{data.images, model->config().vision.image_size, torch::kCPU};
};

}  // namespace

TEST_CASE("evaluation sets follow the split, the modality and the cap", "[eval][model]") {
  Fixture f;
  const auto& ds = f.data.dataset;
  const auto sets = eval_sets(ds, 10, Modality::both, 1000);
  CHECK(sets.forget.size() == 1 * (20 + 2));
  CHECK(sets.retain.size() == 9 * (20 + 2));
  CHECK(sets.forget_faces.size() == 2);
  CHECK(sets.holdout_faces.size() == 2 * 2);
  CHECK(sets.real_world.size() == ds.real_world.size());
  const auto text = eval_sets(ds, 10, Modality::text, 50);
  CHECK(text.forget.size() == 20);
  CHECK(text.retain.size() == 50);  // capped, spread over the persons
  CHECK(text.retain.front().person != text.retain.back().person);
  // A text-only model: no face and no picture among the real sets.
  const auto blind = eval_sets(ds, 10, Modality::text, 1000, false);
  CHECK(blind.forget.size() == 20);
  CHECK(blind.forget_faces.empty());
  CHECK(blind.holdout_faces.empty());
  CHECK(blind.real_world.empty());  // the synthetic world's objects are pictures
  CHECK(finetune_items(ds, ds.splits.forget_order, false).size() ==
        text_only_items(ds, finetune_items(ds, ds.splits.forget_order)).size());
  for (const auto& item : finetune_items(ds, ds.splits.forget_order, false)) CHECK(item_text(ds, item).image.empty());
}

TEST_CASE("TOFU's evaluation sets: retention on the scored authors, real authors asked", "[eval][model][tofu]") {
  SynthTofuOptions o;
  o.world.persons = 10;
  o.world.holdout = 2;
  Dataset ds = synth_tofu_world(o).dataset;
  const auto all = eval_sets(ds, 10, Modality::text, 1000, false);
  CHECK(all.retain.size() == 9 * 20);  // every retained author's questions
  CHECK(all.real_authors.size() == ds.real_authors.size());
  CHECK(all.real_world.size() == ds.real_world.size());
  // TOFU's retain_perturbed: two authors, one of them the one forgotten at 10 %.
  ds.splits.retain_scored = {ds.splits.forget_order[0], ds.splits.forget_order[5]};
  const auto scored = eval_sets(ds, 10, Modality::text, 1000, false);
  CHECK(scored.retain.size() == 20);
  for (const auto& item : scored.retain) CHECK(item.person == ds.splits.forget_order[5]);
  CHECK(scored.forget.size() == 20);
}

TEST_CASE("every answer, paraphrase and alternative is scored, the same in any batch", "[eval][model]") {
  set_compute_threads(1);
  Fixture f;
  const auto sets = eval_sets(f.data.dataset, 10, Modality::both, 1000);
  std::vector<ItemRef> items(sets.forget.begin(), sets.forget.begin() + 4);
  items.push_back(sets.forget.back());  // an image caption item
  ScoreOptions big;
  big.max_new_tokens = 4;
  ScoreOptions one = big;
  one.batch_size = 1;
  const SetScores a = score_set(f.model, f.tok, f.data.dataset, f.images, items, big);
  const SetScores b = score_set(f.model, f.tok, f.data.dataset, f.images, items, one);
  REQUIRE(a.size() == 5);
  REQUIRE(a.generations.size() == 5);
  for (size_t i = 0; i < 5; ++i) {
    CHECK(std::isfinite(a.answer_loss[i]));
    CHECK(std::isfinite(a.paraphrase_loss[i]));
    REQUIRE(a.perturbed_loss[i].size() == 3);
    CHECK(a.answer_loss[i] == Approx(b.answer_loss[i]).epsilon(1e-4));
    CHECK(a.perturbed_loss[i][2] == Approx(b.perturbed_loss[i][2]).epsilon(1e-4));
    CHECK(a.generations[i] == b.generations[i]);
  }
  const auto report = clear_metrics(
      evaluate_model(f.model, f.tok, f.data.dataset, f.images, eval_sets(f.data.dataset, 10, Modality::both, 6), big));
  for (const char* key : {"forget_prob", "retain_truth_ratio", "real_world_prob", "model_utility", "umia_auc"})
    CHECK(std::isfinite(report.scalars.at(key)));
}

TEST_CASE("GradNorm: per item, the mean over weight tensors of the gradient's L2 norm, by hand", "[eval][model]") {
  set_compute_threads(1);
  Fixture f;
  const auto& ds = f.data.dataset;
  const auto items = eval_sets(ds, 10, Modality::both, 1000).forget;
  const std::vector<ItemRef> some{items.front(), items.back()};  // a QA and a captioned image
  f.model->attach_adapters(LoraSpec{4, 8.0, 0.0});
  {
    torch::NoGradGuard no_grad;
    for (auto& p : f.model->adapter_parameters()) p.normal_(0, 0.05);
  }
  f.model->set_base_trainable(false);  // as during unlearning: only the adapters train
  const std::vector<double> norms = gradient_norms(f.model, f.tok, ds, f.images, some);
  REQUIRE(norms.size() == 2);
  // The frozen base comes back frozen, and no gradient is left behind.
  for (const auto& p : f.model->parameters()) {
    CHECK_FALSE(p.requires_grad());
    CHECK_FALSE(p.grad().defined());
  }
  for (const auto& a : f.model->adapter_parameters()) CHECK(a.requires_grad());

  // By hand: full logits, the answer tokens' mean NLL, autograd, each tensor's norm.
  std::vector<torch::Tensor> weights = f.model->parameters();
  for (const auto& a : f.model->adapter_parameters()) weights.push_back(a);
  f.model->set_base_trainable(true);  // the frozen base is differentiated too
  const PromptFormat format = prompt_format(f.model->config(), f.images);
  for (size_t i = 0; i < some.size(); ++i) {
    const Sequence seq = item_sequence(f.tok, item_text(ds, some[i]), format);
    const ModelInputs in = to_model_inputs(collate({seq}, f.tok.special().pad, PadSide::right), f.images, torch::kCPU);
    const torch::Tensor logits = f.model->forward(in);                          // [1, T, V]
    const torch::Tensor logp = torch::log_softmax(logits.slice(1, 0, -1), -1);  // predicts t + 1
    const torch::Tensor labels = in.labels.slice(1, 1);                         // [1, T-1]
    const torch::Tensor mask = labels != -100;
    const torch::Tensor nll = -logp.gather(-1, labels.clamp_min(0).unsqueeze(-1)).squeeze(-1);
    const torch::Tensor loss = (nll * mask).sum() / mask.sum();
    const auto grads = torch::autograd::grad({loss}, weights, {}, false, false, true);
    double sum = 0;
    size_t n = 0;
    for (const auto& g : grads)
      if (g.defined()) {
        sum += g.norm().item<double>();
        ++n;
      }
    INFO("item " << i);
    // The frozen base counts too; weights the item does not reach (the vision tower for
    // a text question) have no gradient and are left out, as open-unlearning leaves them.
    CHECK(n > f.model->adapter_parameters().size());
    CHECK(n <= weights.size());
    CHECK(norms[i] == Approx(sum / double(n)).epsilon(1e-4));
  }
  f.model->detach_adapters();
}
