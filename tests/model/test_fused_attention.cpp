// Fused attention (at::scaled_dot_product_attention) against the plain reference kept
// beside it: float32 to 1e-5 with padding masks, grouped-query heads and a KV cache,
// first on the attention call itself, then through whole models.
#include <numeric>

#include "model/attention.h"
#include "model/scoring.h"
#include "model/vlm.h"
#include "test_support.h"

using namespace clear_sweep;
using torch::indexing::Slice;

namespace {

constexpr double kTol = 1e-5;

/// keys [B, S] real-token mask -> [B, 1, T, S] allowed: causal over the last T of S
/// positions, real keys only, and always the query itself (as the decoder builds it).
torch::Tensor decoder_mask(const torch::Tensor& key_mask, int64_t t) {
  const int64_t s = key_mask.size(1), past = s - t;
  const torch::Tensor q_index = torch::arange(past, s, torch::kLong), k_index = torch::arange(0, s, torch::kLong);
  const torch::Tensor causal = k_index.unsqueeze(0) <= q_index.unsqueeze(1);
  const torch::Tensor self = k_index.unsqueeze(0) == q_index.unsqueeze(1);
  return (causal.unsqueeze(0).unsqueeze(0) & key_mask.unsqueeze(1).unsqueeze(1)) | self;
}

/// A VLM whose decoder has grouped-query heads (8 query heads over 2 key/value heads).
Vlm gqa_model(uint64_t seed) {
  ModelConfig c = model_preset("tiny", 200);
  c.vision.image_size = 16, c.vision.patch_size = 8, c.vision.hidden = 32, c.vision.layers = 2;  // 4 patches
  c.vision.heads = 4, c.vision.intermediate = 64, c.vision.select_layer = -2;
  c.text.hidden = 64;
  c.text.heads = 8;
  c.text.kv_heads = 2;
  c.text.intermediate = 96;
  c.text.layers = 3;
  torch::manual_seed(seed);
  Vlm m(c);
  m->eval();
  return m;
}

}  // namespace

TEST_CASE("fused attention equals the reference: padding masks and grouped-query heads", "[model][attention]") {
  torch::manual_seed(11);
  const int64_t b = 3, heads = 8, kv_heads = 2, t = 9, d = 16;
  const auto q = torch::randn({b, heads, t, d}), k = torch::randn({b, kv_heads, t, d}),
             v = torch::randn({b, kv_heads, t, d});
  // Row 0 whole, row 1 left-padded by 3, row 2 right-padded by 4.
  torch::Tensor real = torch::ones({b, t}, torch::kBool);
  real.index_put_({1, Slice(0, 3)}, false);
  real.index_put_({2, Slice(t - 4, t)}, false);
  const auto allowed = decoder_mask(real, t);
  const auto fused = attend(q, k, v, allowed);
  const auto reference = attend_reference(q, k, v, allowed);
  CHECK(fused.sizes() == reference.sizes());
  CHECK(torch::allclose(fused, reference, kTol, kTol));

  // Plain causal (the flash path on GPU: no mask tensor at all) and no mask (the ViT).
  CHECK(torch::allclose(attend(q, k, v, {}, true), attend_reference(q, k, v, {}, true), kTol, kTol));
  CHECK(torch::allclose(attend(q, k, v, {}), attend_reference(q, k, v, {}), kTol, kTol));
  // Grouped-query means each key/value head serves its 4 query heads, not any other.
  const auto repeated = attend_reference(q, k.repeat_interleave(4, 1), v.repeat_interleave(4, 1), allowed);
  CHECK(torch::allclose(fused, repeated, kTol, kTol));
}

TEST_CASE("attention within segments equals the reference under a block-diagonal mask", "[model][attention]") {
  // Packed images (unequal segments, padded to the longest) and windows (equal ones).
  torch::manual_seed(11);
  for (const std::vector<int64_t>& lengths :
       {std::vector<int64_t>{7}, std::vector<int64_t>{4, 4, 4}, std::vector<int64_t>{5, 1, 9, 3}}) {
    const int64_t p = std::accumulate(lengths.begin(), lengths.end(), int64_t(0));
    const torch::Tensor q = torch::randn({3, p, 8}), k = torch::randn({3, p, 8}), v = torch::randn({3, p, 8});
    std::vector<int64_t> segment;
    for (size_t s = 0; s < lengths.size(); ++s) segment.insert(segment.end(), size_t(lengths[s]), int64_t(s));
    const torch::Tensor id = torch::tensor(segment, torch::kLong);
    const torch::Tensor allowed = (id.unsqueeze(0) == id.unsqueeze(1)).unsqueeze(0).unsqueeze(0);  // [1, 1, P, P]
    const torch::Tensor expected =
        attend_reference(q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0), allowed).squeeze(0);  // [H, P, d]
    const torch::Tensor got = attend_segments(q, k, v, lengths);
    INFO(lengths.size() << " segments");
    CHECK((got - expected).abs().max().item<float>() < 1e-5);
  }
}

TEST_CASE("fused attention equals the reference with a KV cache: new queries over past keys", "[model][attention]") {
  torch::manual_seed(12);
  const int64_t b = 2, heads = 4, kv_heads = 2, past = 7, t = 3, d = 8;
  const auto q = torch::randn({b, heads, t, d});
  const auto k = torch::randn({b, kv_heads, past + t, d}), v = torch::randn({b, kv_heads, past + t, d});
  torch::Tensor real = torch::ones({b, past + t}, torch::kBool);
  real.index_put_({1, Slice(0, 2)}, false);  // a left-padded prompt in the cache
  const auto allowed = decoder_mask(real, t);
  CHECK(torch::allclose(attend(q, k, v, allowed), attend_reference(q, k, v, allowed), kTol, kTol));
}

TEST_CASE("a whole model gives the reference's logits, padded or not, with images and GQA", "[model][attention]") {
  Vlm m = gqa_model(21);
  const int64_t img = m->config().image_token_id;
  ModelInputs in;
  // Row 0 right-padded (the plain causal path), row 1 with an image, row 2 left-padded.
  in.input_ids = torch::tensor(std::vector<int64_t>{1,   10, 11, 12, 13, 14, 0, 0,  1,  img, img, img,
                                                    img, 20, 21, 22, 0,  0,  1, 30, 31, 32,  33,  34})
                     .view({3, 8});
  in.attention_mask = in.input_ids != 0;
  in.position_ids = (in.attention_mask.to(torch::kLong).cumsum(1) - 1).clamp_min(0);
  in.images = torch::randn({1, 3, 16, 16});
  torch::NoGradGuard no_grad;
  const auto fused = m->forward(in);
  torch::Tensor reference;
  {
    AttentionReferenceScope use_reference;
    reference = m->forward(in);
  }
  // Real tokens only: a padding query's output is never used.
  const auto real = in.attention_mask.unsqueeze(-1).expand_as(fused);
  CHECK(torch::allclose(fused.masked_select(real), reference.masked_select(real), kTol, kTol));

  // Right padding only takes the unmasked causal path; it equals the masked one.
  const ModelInputs right = [&] {
    ModelInputs r = in;
    r.input_ids = in.input_ids.narrow(0, 0, 2);
    r.attention_mask = in.attention_mask.narrow(0, 0, 2);
    r.position_ids = in.position_ids.narrow(0, 0, 2);
    return r;
  }();
  const auto unmasked = m->forward(right);
  const auto real2 = right.attention_mask.unsqueeze(-1).expand_as(unmasked);
  CHECK(torch::allclose(unmasked.masked_select(real2), fused.narrow(0, 0, 2).masked_select(real2), kTol, kTol));
}

TEST_CASE("generation with the KV cache under fused attention matches the reference step by step",
          "[model][attention]") {
  Vlm m = gqa_model(22);
  const int64_t img = m->config().image_token_id;
  ModelInputs prompts;
  prompts.input_ids =
      torch::tensor(std::vector<int64_t>{0, 0, 1, 40, 41, 42, 43, 1, img, img, img, img, 50, 51}).view({2, 7});
  prompts.attention_mask = prompts.input_ids != 0;
  prompts.position_ids = (prompts.attention_mask.to(torch::kLong).cumsum(1) - 1).clamp_min(0);
  prompts.images = torch::randn({1, 3, 16, 16});
  GenerateOptions options;
  options.max_new_tokens = 10;
  options.eos_id = -1;
  const auto fused = generate_greedy(m, prompts, options);
  std::vector<std::vector<int32_t>> reference;
  {
    AttentionReferenceScope use_reference;
    options.use_cache = false;  // and the reference recomputes everything each step
    reference = generate_greedy(m, prompts, options);
  }
  CHECK(fused == reference);

  // The cache's logits themselves, one step past the prompt, against the reference.
  torch::NoGradGuard no_grad;
  KvCache cache;
  ForwardOptions with_cache;
  with_cache.cache = &cache;
  m->forward(prompts, with_cache);
  ModelInputs step;
  step.input_ids = torch::tensor(std::vector<int64_t>{60, 61}).view({2, 1});
  step.attention_mask = torch::ones({2, 1}, torch::kBool);
  step.position_ids = std::get<0>(prompts.position_ids.max(1)).view({2, 1}) + 1;
  const auto cached = m->forward(step, with_cache);
  ModelInputs whole = prompts;
  whole.input_ids = torch::cat({prompts.input_ids, step.input_ids}, 1);
  whole.attention_mask = torch::cat({prompts.attention_mask, step.attention_mask}, 1);
  whole.position_ids = torch::cat({prompts.position_ids, step.position_ids}, 1);
  AttentionReferenceScope use_reference;
  const auto full = m->forward(whole).narrow(1, 7, 1);
  CHECK(torch::allclose(cached, full, kTol, kTol));
}
