// The keys and values a decoder keeps for generation: every layer's, for the tokens
// seen so far, and which of those tokens are real (not padding). Shared by every
// decoder family; a layer appends its new keys and values as it runs.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace clear_sweep {

struct KvCache {
  std::vector<torch::Tensor> keys, values;  ///< per layer [B, Hkv, S, d]
  torch::Tensor key_mask;                   ///< [B, S] bool
  /// [B, 1] long, or undefined: what a family adds to the plain positions of the tokens
  /// after the prompt (Qwen2-VL's rope delta, set by the prompt's forward pass).
  torch::Tensor position_offset;
  int64_t length() const { return key_mask.defined() ? key_mask.size(1) : 0; }
};

}  // namespace clear_sweep
