// Round-to-nearest quantization (model/quantize.h): each scheme against torch's own
// fake_quantize_per_channel_affine given the same scales and zero points, the scales
// and levels by hand, and the scope that quantizes a merged model and gives every weight
// back untouched.
#include <set>

#include "model/model_config.h"
#include "model/quantize.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

torch::Tensor weight(int64_t out, int64_t in, uint64_t seed) {
  torch::manual_seed(seed);
  return torch::randn({out, in}) * 0.05;
}

size_t distinct(const torch::Tensor& row) {
  std::set<float> values;
  const torch::Tensor c = row.contiguous();
  for (int64_t i = 0; i < c.numel(); ++i) values.insert(c.data_ptr<float>()[i]);
  return values.size();
}

}  // namespace

TEST_CASE("int8 per channel: absmax / 127 scales, torch's fake quantization, at most 255 levels", "[quantize]") {
  torch::Tensor w = weight(16, 40, 1);
  w[3].zero_();  // a row of zeros stays zeros
  const torch::Tensor q = quantize_int8_per_channel(w);
  REQUIRE(q.sizes() == w.sizes());
  const torch::Tensor scale = w.abs().amax(1) / 127.0;  // [out]
  const torch::Tensor reference = torch::fake_quantize_per_channel_affine(
      w, torch::where(scale > 0, scale, torch::ones_like(scale)), torch::zeros({16}, torch::kInt), 0, -128, 127);
  CHECK(torch::equal(q, reference));
  for (int64_t r = 0; r < 16; ++r) {
    INFO("row " << r);
    CHECK(distinct(q[r]) <= 255);
    // Round to nearest: within half a step of the weight, and the extreme is kept.
    CHECK((q[r] - w[r]).abs().max().item<double>() <= scale[r].item<double>() / 2 + 1e-9);
    CHECK(q[r].abs().max().item<double>() == Approx(w[r].abs().max().item<double>()).epsilon(1e-6));
  }
  CHECK(q[3].abs().sum().item<double>() == 0.0);
}

TEST_CASE("4-bit group-wise: min-max scale and zero point per group, a shorter last group", "[quantize]") {
  const int64_t group = 16;
  const torch::Tensor w = weight(8, 40, 2);  // 2 whole groups and one of 8 per row
  const torch::Tensor q = quantize_int4_groupwise(w, group);
  REQUIRE(q.sizes() == w.sizes());
  for (int64_t r = 0; r < 8; ++r)
    for (int64_t from = 0; from < 40; from += group) {
      const int64_t n = std::min<int64_t>(group, 40 - from);
      INFO("row " << r << " columns " << from << ".." << from + n);
      const torch::Tensor g = w[r].narrow(0, from, n), qg = q[r].narrow(0, from, n);
      const double lo = g.min().item<double>(), hi = g.max().item<double>();
      const double scale = (hi - lo) / 15.0;
      const int64_t zero = std::clamp<int64_t>(std::llround(-lo / scale), 0, 15);
      const torch::Tensor reference = torch::fake_quantize_per_channel_affine(
          g.unsqueeze(0), torch::full({1}, scale, torch::kDouble).to(torch::kFloat),
          torch::full({1}, zero, torch::kInt), 0, 0, 15);
      CHECK(torch::allclose(qg, reference.squeeze(0), 0, 1e-7));
      CHECK(distinct(qg) <= 16);
      CHECK((qg - g).abs().max().item<double>() <= scale / 2 + 1e-6);
    }
  // A group as wide as the row: the same as one group per row; bf16 stays bf16.
  CHECK(torch::equal(quantize_int4_groupwise(w, 40), quantize_int4_groupwise(w, 64)));
  CHECK(quantize_int4_groupwise(w.to(torch::kBFloat16), group).scalar_type() == torch::kBFloat16);
  // Coarser than int8: the 4-bit error is the larger.
  CHECK((q - w).abs().mean().item<double>() > (quantize_int8_per_channel(w) - w).abs().mean().item<double>());
}

TEST_CASE("QuantizedWeights quantizes W + (alpha/r) B A, leaves the LM head, and gives every weight back",
          "[quantize]") {
  ModelConfig c = model_preset("tiny", 300);
  c.text.hidden = 32;
  c.text.intermediate = 64;
  c.text.layers = 2;
  torch::manual_seed(4);
  Vlm model(c);
  model->eval();
  model->attach_adapters(LoraSpec{4, 8.0, 0.0});
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->adapter_parameters()) p.normal_(0, 0.1);
  }
  std::map<std::string, torch::Tensor> before, merged;
  for (auto& [name, layer] : model->linear_layers()) {
    before[name] = layer->weight.clone();
    merged[name] = layer->has_adapter()
                       ? layer->weight + torch::matmul(layer->lora_b(), layer->lora_a()) * layer->scale()
                       : layer->weight.clone();
  }
  const torch::Tensor ids = torch::randint(0, 300, {2, 7});
  ModelInputs in;
  in.input_ids = ids;
  in.attention_mask = torch::ones({2, 7}, torch::kBool);
  in.position_ids = torch::arange(7).repeat({2, 1});
  torch::Tensor logits_before, logits_quantized;
  {
    torch::NoGradGuard no_grad;
    logits_before = model->forward(in);
  }
  for (auto scheme : {QuantScheme::int8_per_channel, QuantScheme::int4_groupwise}) {
    {
      QuantizedWeights quantized(model, scheme, 16);
      size_t checked = 0;
      for (auto& [name, layer] : model->linear_layers()) {
        INFO(name);
        if (name.find("lm_head") != std::string::npos) {
          CHECK(torch::equal(layer->weight, before[name]));
          continue;
        }
        const torch::Tensor expected = scheme == QuantScheme::int8_per_channel
                                           ? quantize_int8_per_channel(merged[name])
                                           : quantize_int4_groupwise(merged[name], 16);
        CHECK(torch::allclose(layer->weight, expected, 0, 1e-6));
        ++checked;
      }
      CHECK(checked == quantized.layers());
      CHECK(checked > 0);
      torch::NoGradGuard no_grad;
      logits_quantized = model->forward(in);
    }
    // Quantized: close to the merged model, not equal; after the scope: exactly as before.
    CHECK(!torch::equal(logits_quantized, logits_before));
    CHECK(torch::allclose(logits_quantized, logits_before, 0, 0.5));
    for (auto& [name, layer] : model->linear_layers()) CHECK(torch::equal(layer->weight, before[name]));
    torch::NoGradGuard no_grad;
    CHECK(torch::equal(model->forward(in), logits_before));
  }
}
