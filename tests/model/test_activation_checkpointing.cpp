// Activation checkpointing recomputes each decoder layer in the backward pass: the loss
// and every LoRA gradient must be those of the plain backward, LoRA dropout included
// (the recomputation replays the random generator).
#include "model/scoring.h"
#include "model/vlm.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

struct StepResult {
  double loss;
  std::vector<torch::Tensor> grads;
};

StepResult lora_step(bool checkpointing, double dropout) {
  ModelConfig c = model_preset("tiny", 200);
  c.text.layers = 3;
  torch::manual_seed(7);
  Vlm m(c);
  m->attach_adapters(LoraSpec{4, 8.0, dropout});
  for (auto& p : m->adapter_parameters()) {
    torch::NoGradGuard no_grad;
    p.normal_(0, 0.05);  // B != 0, so every adapter sees a gradient
  }
  m->set_activation_checkpointing(checkpointing);
  m->train();
  const int64_t img = c.image_token_id;
  std::vector<int64_t> ids{1};
  for (int64_t i = 0; i < c.image_tokens(); ++i) ids.push_back(img);
  for (int64_t i = 0; i < 10; ++i) ids.push_back(20 + i);
  ModelInputs in;
  in.input_ids = torch::tensor(ids).view({1, -1}).repeat({2, 1});
  in.input_ids[1].narrow(0, 1, c.image_tokens()).fill_(40);  // the second row is text only
  in.attention_mask = torch::ones_like(in.input_ids, torch::kBool);
  in.attention_mask[1].narrow(0, in.input_ids.size(1) - 3, 3).fill_(false);  // right padding
  in.position_ids = torch::arange(in.input_ids.size(1), torch::kLong).repeat({2, 1});
  in.labels = in.input_ids.masked_fill(in.attention_mask.logical_not(), -100);
  in.labels.narrow(1, 0, c.image_tokens() + 1).fill_(-100);
  in.images = torch::randn({1, 3, c.vision.image_size, c.vision.image_size});
  torch::manual_seed(99);  // the dropout draws
  const AnswerScores s = score_answers(m, in);
  const torch::Tensor loss = s.sum_nll.sum() / s.tokens.sum();
  loss.backward();
  StepResult r{loss.item<double>(), {}};
  for (const auto& p : m->adapter_parameters()) r.grads.push_back(p.grad().clone());
  return r;
}

}  // namespace

TEST_CASE("activation checkpointing gives the plain backward's loss and LoRA gradients", "[model][checkpointing]") {
  for (double dropout : {0.0, 0.2}) {
    INFO("LoRA dropout " << dropout);
    const StepResult plain = lora_step(false, dropout);
    const StepResult recomputed = lora_step(true, dropout);
    CHECK(recomputed.loss == Approx(plain.loss).epsilon(1e-6));
    REQUIRE(recomputed.grads.size() == plain.grads.size());
    REQUIRE(plain.grads.size() == 2 * 3 * 7);  // A and B of 7 linears in each of 3 layers
    for (size_t i = 0; i < plain.grads.size(); ++i) {
      INFO("adapter tensor " << i);
      CHECK(plain.grads[i].abs().sum().item<double>() > 0);
      CHECK(torch::allclose(recomputed.grads[i], plain.grads[i], 1e-5, 1e-6));
    }
  }
}
