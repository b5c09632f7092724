// The plain layers the model needs besides LoRA-capable linears: a lookup embedding,
// LayerNorm and the ViT's patch convolution. Ours rather than torch::nn's so that their
// parameters come from the parameter factory (dtype, device, no throw-away random
// initialisation when a checkpoint is loaded); parameter names match torch::nn's and
// Hugging Face's ("weight", "bias").
#pragma once

#include <torch/torch.h>

#include <string>

namespace clear_sweep {

class EmbeddingImpl : public torch::nn::Module {
 public:
  EmbeddingImpl(int64_t count, int64_t dim, double init_std);
  torch::Tensor forward(const torch::Tensor& ids);  ///< ids [...] long -> [..., D]
  torch::Tensor weight;                             ///< [count, D]
};
TORCH_MODULE(Embedding);

class LayerNormImpl : public torch::nn::Module {
 public:
  LayerNormImpl(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);  ///< normalises the last dimension
  torch::Tensor weight, bias;                     ///< [D], [D]

 private:
  double eps_;
};
TORCH_MODULE(LayerNorm);

/// Non-overlapping patches to vectors: a convolution with kernel = stride = patch, no bias.
class PatchEmbeddingImpl : public torch::nn::Module {
 public:
  PatchEmbeddingImpl(int64_t channels, int64_t dim, int64_t patch);
  torch::Tensor forward(const torch::Tensor& pixels);  ///< [N, C, S, S] -> [N, D, S/p, S/p]
  torch::Tensor weight;                                ///< [D, C, p, p]

 private:
  int64_t patch_;
};
TORCH_MODULE(PatchEmbedding);

/// transformers' ACT2FN by name, for the ones the vision encoders use: quick_gelu, gelu,
/// gelu_pytorch_tanh, silu. Another name is a bug (the config readers refuse it).
torch::Tensor activation(const std::string& name, const torch::Tensor& x);

}  // namespace clear_sweep
