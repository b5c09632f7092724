#include "model/lora_linear.h"

#include <cmath>

#include "common/error.h"
#include "model/autocast.h"
#include "model/parameter_factory.h"

namespace clear_sweep {

LoraLinearImpl::LoraLinearImpl(int64_t in, int64_t out, bool with_bias) {
  // torch::nn::Linear's initialisation: U(+-1/sqrt(in)).
  weight = register_parameter("weight", make_parameter({out, in}, ParameterInit::uniform(1.0 / std::sqrt(double(in)))));
  if (with_bias) bias = register_parameter("bias", make_parameter({out}, ParameterInit::zeros()));
}

torch::Tensor LoraLinearImpl::forward(const torch::Tensor& x) {
  if (inference_weight_.defined() && !torch::GradMode::is_enabled())
    return torch::nn::functional::linear(x, inference_weight_, inference_bias_);
  torch::Tensor y = torch::nn::functional::linear(x, weight, bias);
  if (lora_a_.defined() && adapter_enabled_ && !merged_) {
    // Adapters stay float32 (the master weights) over a bf16 base: the low-rank path
    // runs in the adapter's dtype, unless autocast already casts both to bf16.
    torch::Tensor h = x.to(lora_a_.scalar_type());
    if (dropout_ > 0 && is_training()) h = torch::dropout(h, dropout_, true);
    const torch::Tensor delta = torch::nn::functional::linear(torch::nn::functional::linear(h, lora_a_), lora_b_);
    y = y + (delta * scale_).to(y.scalar_type());
  }
  return y;
}

torch::Tensor LoraLinearImpl::effective_weight(torch::ScalarType dtype) const {
  torch::NoGradGuard no_grad;
  if (!lora_a_.defined() || !adapter_enabled_ || merged_) return weight.detach().to(dtype);
  // Summed in float32 (the adapter's precision), then cast once.
  return (weight.to(torch::kFloat) + torch::matmul(lora_b_, lora_a_) * scale_).to(dtype);
}

torch::Tensor LoraLinearImpl::effective_bias(torch::ScalarType dtype) const {
  return bias.defined() ? bias.detach().to(dtype) : torch::Tensor();
}

void LoraLinearImpl::set_inference_weights(bool on) {
  const torch::ScalarType dtype = matmul_dtype(weight);
  inference_weight_ = on ? effective_weight(dtype) : torch::Tensor();
  inference_bias_ = on ? effective_bias(dtype) : torch::Tensor();
}

void LoraLinearImpl::attach_adapter(const LoraSpec& spec) {
  CS_ASSERT(spec.rank > 0, "LoRA rank must be positive");
  CS_ASSERT(!merged_, "attach_adapter on a merged layer");
  // float32 whatever the base weight's dtype: bf16 adapters would lose small updates.
  const auto options = weight.options().dtype(torch::kFloat).requires_grad(false);
  lora_a_ = torch::empty({spec.rank, weight.size(1)}, options);
  torch::nn::init::kaiming_uniform_(lora_a_, std::sqrt(5.0));
  lora_b_ = torch::zeros({weight.size(0), spec.rank}, options);
  lora_a_.set_requires_grad(true);
  lora_b_.set_requires_grad(true);
  scale_ = spec.alpha / double(spec.rank);
  dropout_ = spec.dropout;
  adapter_enabled_ = true;
}

void LoraLinearImpl::detach_adapter() {
  CS_ASSERT(!merged_, "detach_adapter on a merged layer");
  lora_a_ = torch::Tensor();
  lora_b_ = torch::Tensor();
}

void LoraLinearImpl::merge_adapter() {
  CS_ASSERT(lora_a_.defined() && !merged_, "merge_adapter needs an unmerged adapter");
  torch::NoGradGuard no_grad;
  weight.add_((torch::matmul(lora_b_, lora_a_) * scale_).to(weight.scalar_type()));
  merged_ = true;
}

void LoraLinearImpl::unmerge_adapter() {
  CS_ASSERT(lora_a_.defined() && merged_, "unmerge_adapter needs a merged adapter");
  torch::NoGradGuard no_grad;
  weight.sub_((torch::matmul(lora_b_, lora_a_) * scale_).to(weight.scalar_type()));
  merged_ = false;
}

void LoraLinearImpl::fold_adapter() {
  if (!merged_) merge_adapter();
  merged_ = false;
  detach_adapter();
}

}  // namespace clear_sweep
