#include "model/attention.h"

#include <algorithm>
#include <cmath>

#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>

#include "common/error.h"
#include "model/parameter_factory.h"

namespace clear_sweep {

namespace {
thread_local bool use_reference = false;

/// CLEAR_SWEEP_SDPA: which fused attention kernel PyTorch may take on a GPU, for
/// measuring them against each other (gpu-check.sh): flash, efficient (memory-efficient),
/// cudnn, or math alone; the math kernel stays as the fallback for calls the chosen one
/// cannot take (flash takes no mask). Unset or "auto": PyTorch's own choice.
void choose_sdpa_backend() {
  const char* env = std::getenv("CLEAR_SWEEP_SDPA");
  const std::string choice = env ? env : "auto";
  if (choice == "auto") return;
  if (choice != "flash" && choice != "efficient" && choice != "cudnn" && choice != "math")
    throw Error(SourceLocation{"environment"}, "CLEAR_SWEEP_SDPA",
                "'" + choice + "' is not a kernel: expected auto, flash, efficient, cudnn or math");
  auto& context = at::globalContext();
  context.setSDPUseFlash(choice == "flash");
  context.setSDPUseMemEfficient(choice == "efficient");
  context.setSDPUseCuDNN(choice == "cudnn");
  context.setSDPUseMath(true);
}
std::once_flag sdpa_backend_chosen;
}  // namespace

AttentionReferenceScope::AttentionReferenceScope() : previous_(use_reference) { use_reference = true; }
AttentionReferenceScope::~AttentionReferenceScope() { use_reference = previous_; }

torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                     const torch::Tensor& allowed, bool causal) {
  CS_ASSERT(!(causal && allowed.defined()), "attend: causal is for the unmasked case");
  if (use_reference) return attend_reference(q, k, v, allowed, causal);
  std::call_once(sdpa_backend_chosen, choose_sdpa_backend);
  const std::optional<torch::Tensor> mask = allowed.defined() ? std::optional<torch::Tensor>(allowed) : std::nullopt;
  return at::scaled_dot_product_attention(q, k, v, mask, 0.0, causal, std::nullopt,
                                          /*enable_gqa=*/q.size(1) != k.size(1));
}

torch::Tensor attend_segments(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const std::vector<int64_t>& lengths) {
  const int64_t h = q.size(0), p = q.size(1), d = q.size(2), n = int64_t(lengths.size());
  const int64_t longest = *std::max_element(lengths.begin(), lengths.end());
  if (n * longest == p) {  // equal segments: a plain batch of them
    auto split = [&](const torch::Tensor& t) { return t.reshape({h, n, longest, d}).transpose(0, 1); };  // [n, H, L, d]
    return attend(split(q), split(k), split(v), {}).transpose(0, 1).reshape({h, p, d});
  }
  // Unequal: each segment's rows gathered into a slot of `longest`, the rest pointing at a
  // row of zeros (index p) whose keys are masked.
  std::vector<int64_t> gather(size_t(n * longest), p), kept;
  std::vector<uint8_t> real(size_t(n * longest), 0);
  int64_t start = 0;
  for (int64_t s = 0; s < n; ++s) {
    for (int64_t j = 0; j < lengths[size_t(s)]; ++j) {
      gather[size_t(s * longest + j)] = start + j;
      real[size_t(s * longest + j)] = 1;
      kept.push_back(s * longest + j);
    }
    start += lengths[size_t(s)];
  }
  CS_ASSERT(start == p, "segment lengths do not add up to the sequence");
  const auto device = q.device();
  const torch::Tensor index = torch::tensor(gather, torch::kLong).to(device);
  auto pad = [&](const torch::Tensor& t) {  // [H, P, d] -> [n, H, L, d]
    return torch::cat({t, t.new_zeros({h, 1, d})}, 1).index_select(1, index).view({h, n, longest, d}).transpose(0, 1);
  };
  const torch::Tensor allowed =
      torch::from_blob(real.data(), {n, 1, 1, longest}, torch::kUInt8).to(torch::kBool).to(device);
  const torch::Tensor out = attend(pad(q), pad(k), pad(v), allowed);  // [n, H, L, d]
  return out.transpose(0, 1).reshape({h, n * longest, d}).index_select(1, torch::tensor(kept, torch::kLong).to(device));
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
