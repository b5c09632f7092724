#include "model/attention.h"

#include <cmath>

#include <optional>

#include "common/error.h"
#include "model/parameter_factory.h"

namespace clear_sweep {

namespace {
thread_local bool use_reference = false;
}  // namespace

AttentionReferenceScope::AttentionReferenceScope() : previous_(use_reference) { use_reference = true; }
AttentionReferenceScope::~AttentionReferenceScope() { use_reference = previous_; }

torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                     const torch::Tensor& allowed, bool causal) {
  CS_ASSERT(!(causal && allowed.defined()), "attend: causal is for the unmasked case");
  if (use_reference) return attend_reference(q, k, v, allowed, causal);
  const std::optional<torch::Tensor> mask = allowed.defined() ? std::optional<torch::Tensor>(allowed) : std::nullopt;
  return at::scaled_dot_product_attention(q, k, v, mask, 0.0, causal, std::nullopt,
                                          /*enable_gqa=*/q.size(1) != k.size(1));
}

torch::Tensor attend_reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& allowed, bool causal) {
  torch::Tensor mask = allowed;
  if (causal) mask = torch::ones({q.size(2), k.size(2)}, q.options().dtype(torch::kBool)).tril();
  const int64_t groups = q.size(1) / k.size(1);
  torch::Tensor keys = k, values = v;
  if (groups > 1) {
    keys = k.repeat_interleave(groups, 1);
    values = v.repeat_interleave(groups, 1);
  }
  torch::Tensor scores = torch::matmul(q, keys.transpose(-2, -1)).to(torch::kFloat) / std::sqrt(double(q.size(-1)));
  if (mask.defined()) scores = scores.masked_fill(mask.logical_not(), -1e9);
  const torch::Tensor weights = torch::softmax(scores, -1).to(values.scalar_type());
  return torch::matmul(weights, values);
}

torch::Tensor rope_inv_freq(int64_t head_dim, double theta, const torch::Device& device) {
  const auto options = torch::TensorOptions().dtype(torch::kFloat).device(device);
  return torch::pow(theta, -torch::arange(0, head_dim, 2, options) / double(head_dim));  // [d/2]
}

std::pair<torch::Tensor, torch::Tensor> rope_cos_sin(const torch::Tensor& positions, const torch::Tensor& inv_freq,
                                                     torch::ScalarType dtype) {
  const torch::Tensor freqs = positions.to(torch::kFloat).unsqueeze(-1) * inv_freq;  // [B, T, d/2]
  const torch::Tensor emb = torch::cat({freqs, freqs}, -1).unsqueeze(1);             // [B, 1, T, d]
  return {emb.cos().to(dtype), emb.sin().to(dtype)};
}

std::pair<torch::Tensor, torch::Tensor> mrope_cos_sin(const torch::Tensor& positions, const torch::Tensor& inv_freq,
                                                      const std::vector<int64_t>& section, torch::ScalarType dtype) {
  const torch::Tensor freqs = positions.to(torch::kFloat).unsqueeze(-1) * inv_freq;  // [3, B, T, d/2]
  const std::vector<torch::Tensor> pieces = freqs.split_with_sizes(section, -1);     // 3 x [3, B, T, s_k]
  std::vector<torch::Tensor> chosen;
  for (size_t k = 0; k < pieces.size(); ++k) chosen.push_back(pieces[k].select(0, int64_t(k % 3)));
  const torch::Tensor mixed = torch::cat(chosen, -1);                     // [B, T, d/2]
  const torch::Tensor emb = torch::cat({mixed, mixed}, -1).unsqueeze(1);  // [B, 1, T, d]
  return {emb.cos().to(dtype), emb.sin().to(dtype)};
}

std::pair<torch::Tensor, torch::Tensor> rope_cos_sin(const torch::Tensor& positions, int64_t head_dim, double theta,
                                                     torch::ScalarType dtype) {
  return rope_cos_sin(positions, rope_inv_freq(head_dim, theta, positions.device()), dtype);
}

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  const torch::Tensor rotated = torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos + rotated * sin;
}

RMSNormImpl::RMSNormImpl(int64_t dim, double eps) : eps_(eps) {
  weight = register_parameter("weight", make_parameter({dim}, ParameterInit::ones()));
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  const torch::Tensor x32 = x.to(torch::kFloat);
  const torch::Tensor normed = x32 * torch::rsqrt(x32.pow(2).mean(-1, true) + eps_);
  return weight * normed.to(x.scalar_type());
}

}  // namespace clear_sweep
