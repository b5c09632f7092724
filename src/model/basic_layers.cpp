#include "model/basic_layers.h"

#include <cmath>

#include "common/error.h"
#include "model/parameter_factory.h"

namespace clear_sweep {

EmbeddingImpl::EmbeddingImpl(int64_t count, int64_t dim, double init_std) {
  weight = register_parameter("weight", make_parameter({count, dim}, ParameterInit::normal(init_std)));
}

torch::Tensor EmbeddingImpl::forward(const torch::Tensor& ids) { return torch::embedding(weight, ids); }

LayerNormImpl::LayerNormImpl(int64_t dim, double eps) : eps_(eps) {
  weight = register_parameter("weight", make_parameter({dim}, ParameterInit::ones()));
  bias = register_parameter("bias", make_parameter({dim}, ParameterInit::zeros()));
}

torch::Tensor LayerNormImpl::forward(const torch::Tensor& x) {
  return torch::layer_norm(x, {x.size(-1)}, weight, bias, eps_);
}

PatchEmbeddingImpl::PatchEmbeddingImpl(int64_t channels, int64_t dim, int64_t patch) : patch_(patch) {
  // torch::nn::Conv2d's default: Kaiming-uniform with a = sqrt(5), i.e. U(+-1/sqrt(fan_in)).
  const double bound = 1.0 / std::sqrt(double(channels * patch * patch));
  weight = register_parameter("weight", make_parameter({dim, channels, patch, patch}, ParameterInit::uniform(bound)));
}

torch::Tensor PatchEmbeddingImpl::forward(const torch::Tensor& pixels) {
  return torch::conv2d(pixels, weight, {}, {patch_, patch_});
}

torch::Tensor activation(const std::string& name, const torch::Tensor& x) {
  if (name == "quick_gelu") return x * torch::sigmoid(1.702 * x);
  if (name == "gelu") return torch::gelu(x);
  if (name == "gelu_pytorch_tanh") return torch::gelu(x, "tanh");
  if (name == "silu") return torch::silu(x);
  CS_ASSERT(false, "unknown activation '" + name + "' (the config readers refuse it)");
  return x;
}

}  // namespace clear_sweep
