// The keys and values a decoder keeps for generation: every layer's, for the tokens
// seen so far, and which of those tokens are real (not padding). Shared by every
// decoder family. Two forms: growing (a layer appends its new keys and values, a new
// tensor each step) or static (`capacity` slots allocated at the first write, each token
// written in place at its slot, and every step after the prompt attending over all the
// slots, the unwritten ones masked: the keys keep one shape, the first thing a captured
// CUDA graph needs; the write offset is still a host integer, which a graph would need as
// a device position).
#pragma once

#include <torch/torch.h>

#include <vector>

namespace clear_sweep {

struct KvCache {
  KvCache() = default;
  /// A static cache of `slots` slots (the prompt and every token to be generated).
  explicit KvCache(int64_t slots) : capacity(slots) {}

  std::vector<torch::Tensor> keys, values;  ///< per layer [B, Hkv, S, d] (S = capacity when static)
  torch::Tensor key_mask;                   ///< [B, S] bool: a real token in the slot
  /// [B, 1] long, or undefined: what a family adds to the plain positions of the tokens
  /// after the prompt (Qwen2-VL's rope delta, set by the prompt's forward pass).
  torch::Tensor position_offset;
  int64_t capacity = 0;  ///< static: the slots; 0: growing
  int64_t filled = 0;    ///< static: the slots written so far
  /// The tokens seen so far.
  int64_t length() const { return capacity > 0 ? filled : key_mask.defined() ? key_mask.size(1) : 0; }
};

}  // namespace clear_sweep
