// The model on a GPU against the CPU (scripts/gpu-check.sh runs these where one is
// visible; elsewhere each case says so and checks nothing): bf16 logits within bf16
// tolerance of float32 CPU logits, fused bf16 attention against the float32 reference,
// and a bf16 checkpoint loaded straight onto the device in its dtype.
#include "data/bpe_tokenizer.h"
#include "model/attention.h"
#include "model/autocast.h"
#include "model/checkpoint.h"
#include "model/gpu_info.h"
#include "model/greedy_decoder.h"
#include "model/scoring.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

bool gpu_visible() {
  if (torch::cuda::is_available()) return true;
  WARN("no CUDA device visible: nothing checked");
  return false;
}

ModelInputs image_batch(const ModelConfig& c) {
  const int64_t img = c.image_token_id, n = c.image_tokens();
  std::vector<int64_t> row0{1}, row1{1};
  for (int64_t i = 0; i < n; ++i) row0.push_back(img);
  for (int64_t i = 0; i < 12; ++i) row0.push_back(20 + i);
  for (int64_t i = 0; i < n + 12; ++i) row1.push_back(i < n + 6 ? 30 + i % 50 : 0);
  ModelInputs in;
  in.input_ids = torch::cat({torch::tensor(row0, torch::kLong), torch::tensor(row1, torch::kLong)}).view({2, -1});
  in.attention_mask = in.input_ids != 0;
  in.position_ids = (in.attention_mask.to(torch::kLong).cumsum(1) - 1).clamp_min(0);
  in.images = torch::randn({1, 3, c.vision.image_size, c.vision.image_size});
  return in;
}

}  // namespace

TEST_CASE("cuda: bf16 logits on the GPU agree with float32 on the CPU", "[cuda]") {
  if (!gpu_visible()) return;
  const torch::Device gpu(torch::kCUDA, 0);
  torch::manual_seed(1);
  Vlm m(model_preset("tiny", 512));
  m->eval();
  torch::NoGradGuard no_grad;
  // One batch (one draw of the random image) for both devices.
  const ModelInputs cpu_in = image_batch(m->config());
  const torch::Tensor cpu_logits = m->forward(cpu_in);
  m->to(gpu, torch::kBFloat16);
  ModelInputs gpu_in = cpu_in;
  for (torch::Tensor* t : {&gpu_in.input_ids, &gpu_in.attention_mask, &gpu_in.position_ids, &gpu_in.images})
    *t = t->to(gpu);
  const torch::Tensor gpu_logits = m->forward(gpu_in).to(torch::kCPU, torch::kFloat);
  const auto real = cpu_in.attention_mask.unsqueeze(-1).expand_as(cpu_logits);
  const torch::Tensor diff = (gpu_logits - cpu_logits).masked_select(real).abs();
  const double scale = cpu_logits.abs().max().item<double>();
  INFO("max |diff| " << diff.max().item<double>() << " of max |logit| " << scale);
  CHECK(diff.max().item<double>() < 0.05 * scale);
  // The greedy choice agrees almost everywhere.
  const double agree = (gpu_logits.argmax(-1) == cpu_logits.argmax(-1))
                           .masked_select(cpu_in.attention_mask)
                           .to(torch::kFloat)
                           .mean()
                           .item<double>();
  CHECK(agree > 0.9);
  const GpuCard card = gpu_card(gpu);
  CHECK_FALSE(card.name.empty());
  CHECK(card.uuid.rfind("GPU-", 0) == 0);
}

TEST_CASE("cuda: fused bf16 attention against the float32 reference", "[cuda][attention]") {
  if (!gpu_visible()) return;
  torch::manual_seed(2);
  const auto q = torch::randn({2, 8, 64, 64}), k = torch::randn({2, 2, 64, 64}), v = torch::randn({2, 2, 64, 64});
  const auto reference = attend_reference(q, k, v, {}, true);
  const auto to_gpu = [](const torch::Tensor& t) { return t.to(torch::kCUDA, torch::kBFloat16); };
  const auto fused = attend(to_gpu(q), to_gpu(k), to_gpu(v), {}, true).to(torch::kCPU, torch::kFloat);
  CHECK(torch::allclose(fused, reference, 2e-2, 2e-2));
  torch::Tensor mask = torch::ones({2, 1, 64, 64}, torch::kBool).tril();
  mask.index_put_({1, torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(0, 5)}, false);
  mask.logical_or_(torch::eye(64, torch::kBool));
  const auto masked = attend(to_gpu(q), to_gpu(k), to_gpu(v), mask.to(torch::kCUDA)).to(torch::kCPU, torch::kFloat);
  CHECK(torch::allclose(masked, attend_reference(q, k, v, mask), 2e-2, 2e-2));
}

TEST_CASE("cuda: a bf16 checkpoint loads straight onto the GPU in bf16", "[cuda][checkpoint]") {
  if (!gpu_visible()) return;
  TempDir tmp;
  torch::manual_seed(3);
  Vlm m(model_preset("tiny", 300));
  m->to(torch::kBFloat16);
  save_model(m, BpeTokenizer::train({"hello world", "hello there"}, 300), tmp.path());
  gpu_reset_peak(torch::Device(torch::kCUDA, 0));
  LoadedModel loaded = load_model(tmp.path(), torch::Device(torch::kCUDA, 0));
  for (const auto& p : loaded.model->named_parameters()) {
    INFO(p.key());
    CHECK(p.value().is_cuda());
    CHECK(p.value().scalar_type() == torch::kBFloat16);
  }
  CHECK(gpu_memory_peak(torch::Device(torch::kCUDA, 0)).allocated_mb > 0);
}

TEST_CASE("cuda: the greedy decoder's graphs give the eager steps' and the CPU's tokens", "[cuda]") {
  if (!gpu_visible()) return;
  // float32 on the GPU: graphs replay the eager kernels, so the tokens are the same; and
  // the CPU's for a model this small. Rows stop at different steps (a common EOS), the
  // batch shrinks, the host reads the flags 3 steps late, storage serves a second batch.
  const torch::Device gpu(torch::kCUDA, 0);
  torch::manual_seed(2);
  ModelConfig c = model_preset("tiny-text", 64);
  c.text.layers = 2;
  Vlm m(c);
  m->eval();
  torch::NoGradGuard no_grad;
  std::vector<int64_t> ids;
  for (int64_t r = 0; r < 8; ++r)
    for (int64_t j = 0; j < 9; ++j) ids.push_back(j < r ? 0 : 3 + (r * 7 + j * 5) % 50);  // left padding
  ModelInputs in;
  in.input_ids = torch::tensor(ids, torch::kLong).view({8, 9});
  in.attention_mask = in.input_ids != 0;
  in.position_ids = (in.attention_mask.to(torch::kLong).cumsum(1) - 1).clamp_min(0);
  GenerateOptions g;
  g.max_new_tokens = 24;
  g.eos_id = -1;
  const auto endless = generate_greedy(m, in, g);
  g.eos_id = endless[0][3];  // row 0's fourth token: rows end at different steps
  g.stop_check_every = 3;
  const auto cpu = generate_greedy(m, in, g);
  m->to(gpu);
  ModelInputs on_gpu = in;
  for (torch::Tensor* t : {&on_gpu.input_ids, &on_gpu.attention_mask, &on_gpu.position_ids}) *t = t->to(gpu);
  GreedyDecoder graphed(m, g);
  CHECK(graphed.generate(on_gpu) == cpu);
  CHECK(graphed.counters().graphs >= 1);
  GenerateOptions eager_options = g;
  eager_options.cuda_graphs = false;
  GreedyDecoder eager(m, eager_options);
  CHECK(eager.generate(on_gpu) == cpu);
  CHECK(eager.counters().graphs == 0);
  // A second, smaller batch through the same storage and graphs.
  ModelInputs half{on_gpu.input_ids.narrow(0, 4, 4),
                   on_gpu.attention_mask.narrow(0, 4, 4),
                   on_gpu.position_ids.narrow(0, 4, 4),
                   {},
                   {},
                   {}};
  const auto second = graphed.generate(half);
  CHECK(second == std::vector<std::vector<int32_t>>(cpu.begin() + 4, cpu.end()));
  CHECK(graphed.counters().allocations == 1);
}
