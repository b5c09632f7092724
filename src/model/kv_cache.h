// The keys and values a decoder keeps for generation: every layer's, for the tokens
// seen so far, and which of those tokens are real (not padding). Shared by every
// decoder family. Two forms: growing (a layer appends its new keys and values, a new
// tensor each step) or static (`capacity` slots allocated at the first write, each token
// written in place at its slot, and every step after the prompt attending over all the
// slots, the unwritten ones masked: the keys keep one shape, and a one-token step after
// the prompt writes at the device-side `slot`, so a captured CUDA graph can replay it).
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
  int64_t filled = 0;    ///< static: the slots written so far (the host's count)
  /// Static: [1] long on the device, the slot the next one-token step writes (= filled,
  /// set by the prompt's pass and advanced on the device by each step).
  torch::Tensor slot;
  /// The tokens seen so far.
  int64_t length() const { return capacity > 0 ? filled : key_mask.defined() ? key_mask.size(1) : 0; }
  /// Whether a pass of `tokens` tokens is a decode step at the device-side slot.
  bool decoding(int64_t tokens) const { return capacity > 0 && filled > 0 && tokens == 1 && slot.defined(); }
};

}  // namespace clear_sweep
