// The real-checkpoint path on any machine: bf16 weights keep their dtype through save
// and load, a model built for loading is neither randomly initialised nor float32, and
// LoRA over a bf16 base trains float32 adapters.
#include "data/bpe_tokenizer.h"
#include "model/checkpoint.h"
#include "model/parameter_factory.h"
#include "model/scoring.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

ModelConfig small_config() {
  ModelConfig c = model_preset("tiny", 300);
  c.vision.image_size = 16, c.vision.patch_size = 8, c.vision.hidden = 32, c.vision.layers = 1;
  c.vision.heads = 2, c.vision.intermediate = 64, c.vision.select_layer = -1;
  c.text.hidden = 32;
  c.text.intermediate = 64;
  c.text.layers = 2;
  return c;
}

ModelInputs text_batch() {
  ModelInputs in;
  in.input_ids = torch::tensor({1, 10, 11, 12, 13, 14, 15, 16}, torch::kLong).view({1, 8});
  in.attention_mask = torch::ones({1, 8}, torch::kBool);
  in.position_ids = torch::arange(8, torch::kLong).view({1, 8});
  in.labels = torch::full({1, 8}, -100, torch::kLong);
  in.labels.narrow(1, 4, 4).copy_(in.input_ids.narrow(1, 4, 4));
  return in;
}

}  // namespace

TEST_CASE("bf16 checkpoints keep their dtype through save and load", "[model][checkpoint][precision]") {
  TempDir tmp;
  torch::manual_seed(3);
  Vlm m(small_config());
  m->eval();
  const auto in = text_batch();
  torch::NoGradGuard no_grad;
  const torch::Tensor fp32_logits = m->forward(in);
  m->to(torch::kBFloat16);
  const auto tok = BpeTokenizer::train({"hello world", "hello there"}, 300);
  save_model(m, tok, tmp.path());
  CHECK(stored_dtype(tmp.path()) == torch::kBFloat16);

  LoadedModel loaded = load_model(tmp.path(), torch::kCPU);
  const auto saved = m->named_parameters();
  size_t checked = 0;
  for (const auto& p : loaded.model->named_parameters()) {
    INFO(p.key());
    CHECK(p.value().scalar_type() == torch::kBFloat16);
    CHECK(torch::equal(p.value(), saved[p.key()]));
    ++checked;
  }
  CHECK(checked == saved.size());
  // bf16 compute on the CPU runs and stays near the float32 model.
  loaded.model->eval();
  const torch::Tensor bf16_logits = loaded.model->forward(in);
  CHECK(bf16_logits.scalar_type() == torch::kBFloat16);
  const double scale = fp32_logits.abs().max().item<double>();
  CHECK((bf16_logits.to(torch::kFloat) - fp32_logits).abs().max().item<double>() < 0.05 * scale);

  // A float32 checkpoint stays float32.
  TempDir tmp32;
  torch::manual_seed(4);
  Vlm m32(small_config());
  save_model(m32, tok, tmp32.path());
  CHECK(stored_dtype(tmp32.path()) == torch::kFloat);
  CHECK(load_model(tmp32.path()).model->named_parameters()["language_model.lm_head.weight"].scalar_type() ==
        torch::kFloat);
}

TEST_CASE("a model built for loading draws no random numbers and is made in the asked dtype", "[model][precision]") {
  torch::manual_seed(9);
  const double expected = torch::rand({1}).item<double>();
  torch::manual_seed(9);
  Vlm m{nullptr};
  {
    ParameterPlacementScope placement({torch::kBFloat16, torch::kCPU, /*initialise=*/false});
    m = Vlm(small_config());
  }
  // The generator is where it was: nothing was initialised only to be overwritten.
  CHECK(torch::rand({1}).item<double>() == expected);
  for (const auto& p : m->named_parameters()) {
    INFO(p.key());
    CHECK(p.value().scalar_type() == torch::kBFloat16);
  }
  // Outside the scope, models are float32 and initialised again.
  CHECK(parameter_placement().initialise);
  CHECK(Vlm(small_config())->named_parameters()["language_model.model.norm.weight"].sum().item<double>() == 32.0);
}

TEST_CASE("LoRA over a bf16 base trains float32 adapters and leaves the base frozen", "[model][lora][precision]") {
  torch::manual_seed(5);
  Vlm m(small_config());
  m->to(torch::kBFloat16);
  const size_t adapted = m->attach_adapters(LoraSpec{4, 8.0, 0.0});
  CHECK(adapted > 0);
  auto params = m->adapter_parameters();
  for (const auto& p : params) CHECK(p.scalar_type() == torch::kFloat);
  // B = 0 at first: a step must move the adapters and with them the model's loss.
  for (size_t i = 1; i < params.size(); i += 2) {
    torch::NoGradGuard no_grad;
    params[i].normal_(0, 0.01);
  }
  m->train();
  const auto in = text_batch();
  torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(1e-2));
  const AnswerScores before = score_answers(m, in);
  const torch::Tensor loss = before.sum_nll.sum() / before.tokens.sum();
  loss.backward();
  for (const auto& p : params) {
    REQUIRE(p.grad().defined());
    CHECK(p.grad().scalar_type() == torch::kFloat);
    CHECK(torch::isfinite(p.grad()).all().item<bool>());
  }
  for (const auto& p : m->parameters()) CHECK_FALSE(p.grad().defined());  // the base is frozen
  optimizer.step();
  torch::NoGradGuard no_grad;
  const AnswerScores after = score_answers(m, in);
  CHECK((after.sum_nll.sum() / after.tokens.sum()).item<double>() != loss.item<double>());
}
