// Round-to-nearest weight quantization of a merged model, the attack of "Does your LLM
// truly unlearn?" (Zhang et al., 2024): unlearning often moves weights by less than a
// quantization step, so rounding the merged weights can bring the forgotten back.
// Fake quantization: weights are quantized and dequantized in place of the originals, so
// the same forward pass scores them.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "model/vlm.h"

namespace clear_sweep {

/// Symmetric int8 per output channel (row): scale = max|w_row| / 127, levels -127..127,
/// as LLM.int8's absmax. w [out, in] -> the dequantized weight, same shape and dtype.
torch::Tensor quantize_int8_per_channel(const torch::Tensor& w);

/// Asymmetric 4-bit per group of `group_size` consecutive input columns of a row (the
/// last group of a row may be shorter): scale = (max - min) / 15, zero point =
/// round(-min / scale) clamped to 0..15, levels 0..15, as GPTQ / AWQ store 4-bit weights.
/// w [out, in] -> the dequantized weight, same shape and dtype.
torch::Tensor quantize_int4_groupwise(const torch::Tensor& w, int64_t group_size);

enum class QuantScheme { int8_per_channel, int4_groupwise };

/// For a scope, every linear layer of `model` but the LM head (kept in full precision,
/// as GPTQ, AWQ and bitsandbytes keep it) computes with its merged weight W + (alpha/r) B A,
/// quantized; adapters are off. The original weights come back at the end of the scope,
/// untouched (the quantized copies replace them; nothing is rounded in place).
class QuantizedWeights {
 public:
  QuantizedWeights(Vlm& model, QuantScheme scheme, int64_t group_size = 128);
  ~QuantizedWeights();
  QuantizedWeights(const QuantizedWeights&) = delete;
  QuantizedWeights& operator=(const QuantizedWeights&) = delete;
  size_t layers() const { return saved_.size(); }  ///< how many weights were quantized

 private:
  Vlm& model_;
  std::vector<std::pair<LoraLinear, torch::Tensor>> saved_;  ///< each layer's own weight
};

}  // namespace clear_sweep
