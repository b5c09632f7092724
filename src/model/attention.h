// Pieces shared by the vision and text transformers: masked multi-head attention with
// grouped-query support, rotary position embeddings, RMSNorm.
#pragma once

#include <torch/torch.h>

namespace clear_sweep {

/// softmax(q k^T / sqrt(d) + mask) v. q [B, H, T, d]; k, v [B, Hkv, S, d] with H a
/// multiple of Hkv (grouped-query: each key/value head serves H / Hkv query heads);
/// `allowed` [B, 1, T, S] bool or undefined (attend everywhere). Scores are computed in
/// float32, and a query with nothing allowed gets a uniform (finite) row, never NaN.
torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                     const torch::Tensor& allowed);

/// Rotary embeddings as Llama (Hugging Face's rotate_half form): cos and sin of shape
/// [B, 1, T, d] for `positions` [B, T].
std::pair<torch::Tensor, torch::Tensor> rope_cos_sin(const torch::Tensor& positions, int64_t head_dim, double theta,
                                                     torch::ScalarType dtype);
torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

class RMSNormImpl : public torch::nn::Module {
 public:
  RMSNormImpl(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;

 private:
  double eps_;
};
TORCH_MODULE(RMSNorm);

}  // namespace clear_sweep
