// Pieces shared by the vision and text transformers: masked multi-head attention with
// grouped-query support, rotary position embeddings, RMSNorm.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace clear_sweep {

/// softmax(q k^T / sqrt(d) + mask) v. q [B, H, T, d]; k, v [B, Hkv, S, d] with H a
/// multiple of Hkv (grouped-query: each key/value head serves H / Hkv query heads);
/// `allowed` [B, 1, T, S] bool or undefined (attend everywhere); `causal` (with
/// `allowed` undefined and T = S) lets query i see keys 0..i.
/// Fused: at::scaled_dot_product_attention, which takes flash attention on GPU when no
/// mask is given (causal only) and the memory-efficient kernel with one. Callers never
/// pass a query with nothing allowed (its row is undefined).
torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                     const torch::Tensor& allowed, bool causal = false);

/// Attention within the segments of a packed sequence (several images, or the windows of
/// one), each query seeing the keys of its own segment only, as transformers' vision
/// encoders attend over cu_seqlens. q, k, v [H, P, d]; `lengths` the segments' sizes in
/// order, adding up to P. Segments run as one batch [segments, H, L, d]: padded to the
/// longest (its padding keys masked) where they differ; no [P, P] mask is made.
/// -> [H, P, d].
torch::Tensor attend_segments(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const std::vector<int64_t>& lengths);

/// The plain version attend() is tested against: scores materialised in float32, keys
/// and values repeated per group; a query with nothing allowed gets a uniform row.
torch::Tensor attend_reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& allowed, bool causal = false);

/// While one exists, attend() on this thread runs attend_reference: tests compare whole
/// models (padding, grouped-query heads, the KV cache) under both implementations.
class AttentionReferenceScope {
 public:
  AttentionReferenceScope();
  ~AttentionReferenceScope();
  AttentionReferenceScope(const AttentionReferenceScope&) = delete;
  AttentionReferenceScope& operator=(const AttentionReferenceScope&) = delete;

 private:
  bool previous_;
};

/// Rotary embeddings as Llama (Hugging Face's rotate_half form): cos and sin of shape
/// [B, 1, T, d] for `positions` [B, T].
std::pair<torch::Tensor, torch::Tensor> rope_cos_sin(const torch::Tensor& positions, int64_t head_dim, double theta,
                                                     torch::ScalarType dtype);
/// The same from the inverse frequencies [d/2] (float32, on positions' device).
std::pair<torch::Tensor, torch::Tensor> rope_cos_sin(const torch::Tensor& positions, const torch::Tensor& inv_freq,
                                                     torch::ScalarType dtype);
/// Qwen2-VL's multimodal rotary embeddings (M-RoPE): `positions` [3, B, T] long (temporal,
/// height, width rows); the frequencies split into `section` (three sizes adding up to
/// d/2), section k turning with row k. cos and sin [B, 1, T, d] in the rotate_half form.
std::pair<torch::Tensor, torch::Tensor> mrope_cos_sin(const torch::Tensor& positions, const torch::Tensor& inv_freq,
                                                      const std::vector<int64_t>& section, torch::ScalarType dtype);
/// theta^(-2i/d), i < d/2: the default rotary frequencies. [d/2] float32.
torch::Tensor rope_inv_freq(int64_t head_dim, double theta, const torch::Device& device);
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
