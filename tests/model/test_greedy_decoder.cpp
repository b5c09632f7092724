// The greedy decoder (greedy_decoder.h) against the reference loop (one host-driven step
// at a time over the growing cache, or recomputing everything): the same tokens whatever
// the batch's composition, its padding, the rows' stopping steps, the buckets it shrinks
// to and the storage it reuses; and inference weights (vlm.h): the same logits as the
// layers they fold, used only without gradients, the trained weights untouched.
#include <algorithm>
#include <set>

#include "model/greedy_decoder.h"
#include "model/scoring.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

Vlm text_model(uint64_t seed, bool biases = false) {
  ModelConfig c = model_preset("tiny-text", 64);
  c.text.layers = 2;
  c.text.qkv_bias = biases;
  c.text.mlp_bias = biases;
  torch::manual_seed(seed);
  Vlm m(c);
  m->eval();
  return m;
}

/// Left-padded prompts of the given lengths (ids from 3 on), positions counting real tokens.
ModelInputs prompts(const std::vector<int64_t>& lengths, int64_t first_id = 3) {
  const int64_t longest = *std::max_element(lengths.begin(), lengths.end());
  ModelInputs in;
  in.input_ids = torch::zeros({int64_t(lengths.size()), longest}, torch::kLong);
  for (size_t r = 0; r < lengths.size(); ++r)
    for (int64_t j = 0; j < lengths[r]; ++j)
      in.input_ids[int64_t(r)][longest - lengths[r] + j] = first_id + (int64_t(r) * 7 + j * 5) % 50;
  in.attention_mask = in.input_ids != 0;
  in.position_ids = (in.attention_mask.to(torch::kLong).cumsum(1) - 1).clamp_min(0);
  return in;
}

ModelInputs row_of(const ModelInputs& in, int64_t r) {
  // One row alone, its padding dropped.
  const int64_t pad = (in.attention_mask[r].logical_not()).sum().item<int64_t>();
  const int64_t t = in.input_ids.size(1) - pad;
  return {in.input_ids[r].narrow(0, pad, t).unsqueeze(0),
          in.attention_mask[r].narrow(0, pad, t).unsqueeze(0),
          in.position_ids[r].narrow(0, pad, t).unsqueeze(0),
          {},
          {},
          {}};
}

std::vector<std::vector<int32_t>> reference(Vlm& m, const ModelInputs& in, GenerateOptions g) {
  g.static_cache = false;
  return generate_greedy(m, in, g);
}

/// Each row cut at its first token in `stops`.
std::vector<std::vector<int32_t>> cut(std::vector<std::vector<int32_t>> rows, const std::set<int32_t>& stops) {
  for (auto& row : rows)
    row.erase(std::find_if(row.begin(), row.end(), [&](int32_t t) { return stops.count(t) > 0; }), row.end());
  return rows;
}

}  // namespace

TEST_CASE("the greedy decoder gives the reference loop's tokens as rows stop and the batch shrinks",
          "[model][generate]") {
  Vlm m = text_model(5);
  const ModelInputs in = prompts({9, 3, 6, 9, 1, 4, 7, 2});
  GenerateOptions g;
  g.max_new_tokens = 14;
  g.eos_id = -1;
  const auto endless = reference(m, in, g);
  // Stops: the third token of rows 0-5 that row 7 never says, so they end early while
  // row 7 runs on: the batch of 8 must shrink.
  std::set<int32_t> stops;
  for (int r = 0; r < 6; ++r)
    if (std::find(endless[7].begin(), endless[7].end(), endless[size_t(r)][2]) == endless[7].end())
      stops.insert(endless[size_t(r)][2]);
  REQUIRE(!stops.empty());
  g.eos_id = *stops.begin();
  g.stop_ids.assign(std::next(stops.begin()), stops.end());
  const auto expected = cut(endless, stops);
  int ended_early = 0;
  for (const auto& row : expected) ended_early += row.size() <= 3;
  REQUIRE(ended_early >= 4);  // at most half the rows live: a smaller bucket
  REQUIRE(expected[7].size() == 14);

  GreedyDecoder decoder(m, g);
  CHECK(decoder.generate(in) == expected);
  CHECK(decoder.counters().shrinks >= 1);
  CHECK(decoder.counters().steps == 13);  // row 7 runs to the end: 13 steps after the prompt
  CHECK(reference(m, in, g) == expected);
  g.use_cache = false;
  CHECK(generate_greedy(m, in, g) == expected);  // recomputing the whole sequence
}

TEST_CASE("the greedy decoder: each row alone gives the batch's tokens, and storage is reused", "[model][generate]") {
  Vlm m = text_model(6, /*biases=*/true);
  const ModelInputs big = prompts({8, 2, 5, 8, 3}), small = prompts({4, 6, 1}, 11);
  GenerateOptions g;
  g.max_new_tokens = 10;
  g.eos_id = 7;
  GreedyDecoder decoder(m, g);
  const auto batch = decoder.generate(big);
  for (int64_t r = 0; r < 5; ++r) {
    INFO("row " << r);
    CHECK(GreedyDecoder(m, g).generate(row_of(big, r))[0] == batch[size_t(r)]);
    CHECK(reference(m, row_of(big, r), g)[0] == batch[size_t(r)]);
  }
  // A smaller, shorter batch fits the storage: no new allocation, the same tokens.
  CHECK(decoder.generate(small) == reference(m, small, g));
  CHECK(decoder.generate(big) == batch);  // and the first batch again, after it
  CHECK(decoder.counters().allocations == 1);
  // A longer one does not.
  g.max_new_tokens = 80;
  GreedyDecoder longer(m, g);
  longer.generate(small);
  CHECK(longer.generate(big) == reference(m, big, g));
  CHECK(longer.counters().allocations == 2);
}

TEST_CASE("inference weights: the folded layers' logits, never under gradients, the weights untouched",
          "[model][lora]") {
  Vlm m = text_model(7, /*biases=*/true);
  m->attach_adapters(LoraSpec{4, 8.0, 0.0});
  torch::manual_seed(8);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : m->adapter_parameters()) p.normal_(0, 0.05);  // B != 0: the adapters count
  }
  const ModelInputs in = prompts({6, 4, 6});
  std::vector<torch::Tensor> before;
  for (const auto& p : m->parameters()) before.push_back(p.clone());
  const auto adapters_before = m->adapter_parameters()[0].clone();

  torch::Tensor plain, folded;
  {
    torch::NoGradGuard no_grad;
    plain = m->forward(in);
    InferenceWeights inference(m);
    folded = m->forward(in);
    // The scope reads its own copies: a change to a trained weight now is not seen...
    for (auto& [name, layer] : m->linear_layers())
      if (name.find("layers.0.self_attn.k_proj") != std::string::npos) {
        const torch::Tensor kept = layer->weight.clone();
        layer->weight.add_(1.0);
        CHECK(torch::equal(m->forward(in), folded));
        layer->weight.copy_(kept);
      }
  }
  CHECK(torch::allclose(folded, plain, 1e-5, 1e-5));
  // ... and with gradients the layers run as they are: the adapters get the gradients
  // they get outside the scope.
  for (auto& p : m->adapter_parameters()) p.set_requires_grad(true);
  torch::Tensor inside;
  {
    InferenceWeights inference(m);
    m->forward(in).sum().backward();
    inside = m->adapter_parameters()[0].grad().clone();
  }
  for (auto& p : m->adapter_parameters()) p.mutable_grad() = torch::Tensor();
  m->forward(in).sum().backward();
  CHECK(torch::equal(m->adapter_parameters()[0].grad(), inside));
  for (auto& p : m->adapter_parameters()) p.set_requires_grad(false), p.mutable_grad() = torch::Tensor();
  // The trained weights, bit for bit.
  const auto after = m->parameters();
  for (size_t i = 0; i < before.size(); ++i) CHECK(torch::equal(after[i], before[i]));
  CHECK(torch::equal(m->adapter_parameters()[0], adapters_before));
  // Out of the scope the adapters are read again: a changed one shows.
  torch::NoGradGuard no_grad;
  m->adapter_parameters()[1].add_(0.5);
  CHECK(!torch::allclose(m->forward(in), plain, 1e-3, 1e-3));
}
