// Greedy decoding with the host out of the loop where it can be. A batch of left-padded
// prompts is prefilled into a static KV cache (kv_cache.h); then each new token is one
// decode step (embedding, every layer, the LM head, argmax, the stop check, the position
// update) that reads and writes tensors living as long as the decoder, at a device-side
// cache slot. On a GPU each batch bucket's step is captured once as a CUDA graph and
// replayed (cuda_decode.h). The host learns which rows have finished from an asynchronous
// copy every few steps; once enough have, the live rows move to the front and the batch
// shrinks to the smallest power-of-two bucket that holds them. The cache's storage (and
// with it the graphs) is kept from batch to batch while the batches fit it: give the
// longest and largest batch first.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "model/vlm.h"

namespace clear_sweep {

struct GenerateOptions {
  int64_t max_new_tokens = 32;
  int32_t eos_id = 2;     ///< -1: none
  bool use_cache = true;  ///< false: recompute the whole sequence each step (a reference)
  /// With the cache: a static one and the decoder below; false: the growing cache, one
  /// host-driven step at a time (a reference). Both give the same tokens.
  bool static_cache = true;
  std::vector<int32_t> stop_ids;  ///< also end a row, left out of its tokens (a chat turn's end)
  /// On CUDA: steps between reads of the finished flags (each read waits for the copy
  /// made that many steps before, so the host runs at most this far ahead). The CPU
  /// reads them every step.
  int64_t stop_check_every = 8;
  /// On CUDA: capture each bucket's step as a graph (also off with CLEAR_SWEEP_CUDA_GRAPHS=0).
  bool cuda_graphs = true;
};

class GreedyDecoder {
 public:
  /// The model's weights must neither change nor move while the decoder lives: its
  /// graphs hold their addresses (an InferenceWeights scope must outlive it).
  GreedyDecoder(Vlm& model, GenerateOptions options);
  ~GreedyDecoder();
  GreedyDecoder(const GreedyDecoder&) = delete;
  GreedyDecoder& operator=(const GreedyDecoder&) = delete;

  /// Each row's new tokens, up to and excluding its first EOS or stop id. `prompts`:
  /// collate(..., PadSide::left, prompt_only) on the model's device.
  std::vector<std::vector<int32_t>> generate(const ModelInputs& prompts);

  /// What the decoder did so far, for benchmarks and tests.
  struct Counters {
    int64_t steps = 0;        ///< decode steps run (eager or replayed)
    int64_t graphs = 0;       ///< graphs captured
    int64_t shrinks = 0;      ///< times a batch moved to a smaller bucket
    int64_t allocations = 0;  ///< times the cache's storage was (re)allocated
  };
  const Counters& counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace clear_sweep
