#include "model/quantize.h"

#include "common/error.h"

namespace clear_sweep {
namespace {

/// (clamp(round(x / scale) + zero, lo, hi) - zero) * scale, row by row of x [R, C] with
/// scale and zero [R, 1]: the form torch's fake_quantize_per_channel_affine computes.
torch::Tensor fake_quantize_rows(const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& zero,
                                 double lo, double hi) {
  const torch::Tensor inverse = 1.0 / scale;
  return (torch::clamp(torch::round(x * inverse + zero), lo, hi) - zero) * scale;
}

/// A scale of 0 (a row or group of zeros) would divide by zero: any positive scale
/// quantizes zeros to zero.
torch::Tensor safe_scale(torch::Tensor scale) { return torch::where(scale > 0, scale, torch::ones_like(scale)); }

}  // namespace

torch::Tensor quantize_int8_per_channel(const torch::Tensor& w) {
  CS_ASSERT(w.dim() == 2, "quantize_int8_per_channel takes a [out, in] weight");
  torch::NoGradGuard no_grad;
  const torch::Tensor x = w.to(torch::kFloat);                            // [out, in]
  const torch::Tensor scale = safe_scale(x.abs().amax(1, true) / 127.0);  // [out, 1]
  return fake_quantize_rows(x, scale, torch::zeros_like(scale), -127, 127).to(w.scalar_type());
}

torch::Tensor quantize_int4_groupwise(const torch::Tensor& w, int64_t group_size) {
  CS_ASSERT(w.dim() == 2, "quantize_int4_groupwise takes a [out, in] weight");
  CS_ASSERT(group_size > 0, "group_size must be positive");
  torch::NoGradGuard no_grad;
  const torch::Tensor x = w.to(torch::kFloat);  // [out, in]
  const int64_t rows = x.size(0), cols = x.size(1);
  std::vector<torch::Tensor> parts;
  // Whole groups at once, then the shorter last group of each row, if any.
  const int64_t whole = cols / group_size * group_size;
  auto quantize_groups = [&](const torch::Tensor& g) {               // [N, G]: one group per row
    const torch::Tensor lo = g.amin(1, true), hi = g.amax(1, true);  // [N, 1]
    const torch::Tensor scale = safe_scale((hi - lo) / 15.0);
    const torch::Tensor zero = torch::clamp(torch::round(-lo / scale), 0, 15);
    return fake_quantize_rows(g, scale, zero, 0, 15);
  };
  if (whole > 0)
    parts.push_back(quantize_groups(x.narrow(1, 0, whole).reshape({rows * (whole / group_size), group_size}))
                        .reshape({rows, whole}));
  if (whole < cols) parts.push_back(quantize_groups(x.narrow(1, whole, cols - whole)));
  return torch::cat(parts, 1).to(w.scalar_type());
}

QuantizedWeights::QuantizedWeights(Vlm& model, QuantScheme scheme, int64_t group_size) : model_(model) {
  torch::NoGradGuard no_grad;
  for (auto& [name, layer] : model->linear_layers()) {
    if (name.size() >= 7 && name.compare(name.size() - 7, 7, "lm_head") == 0) continue;
    CS_ASSERT(!layer->merged(), "quantizing a layer whose adapter is merged into it: " + name);
    torch::Tensor merged = layer->weight;
    if (layer->has_adapter())
      merged = (layer->weight.to(torch::kFloat) + torch::matmul(layer->lora_b(), layer->lora_a()) * layer->scale())
                   .to(layer->weight.scalar_type());
    saved_.emplace_back(layer, layer->weight);
    layer->weight = scheme == QuantScheme::int8_per_channel ? quantize_int8_per_channel(merged)
                                                            : quantize_int4_groupwise(merged, group_size);
  }
  model_->set_adapters_enabled(false);  // merged into the quantized weights
}

QuantizedWeights::~QuantizedWeights() {
  for (auto& [layer, weight] : saved_) layer->weight = weight;
  model_->set_adapters_enabled(true);
}

}  // namespace clear_sweep
