// Where a VLM's image features enter its token embeddings: every family's embed() runs the
// ids through the table with the image placeholders embedded as token 0, then replaces
// those positions, in row-major order (image after image, feature after feature), by the
// images' features.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>

#include "model/basic_layers.h"

namespace clear_sweep {

/// Input embeddings [B, T, D] of `ids` [B, T] with the placeholders (`image_id`) holding
/// the rows of `image_features()` ([placeholders, D], in the embeddings' dtype after the
/// call), which runs only where `has_images`. Internal error where the placeholders and
/// the features differ in number (the prompt and the processor disagree: a bug).
torch::Tensor embed_with_images(Embedding& table, const torch::Tensor& ids, int32_t image_id, bool has_images,
                                const std::function<torch::Tensor()>& image_features);

/// While one exists on this thread, embed_with_images skips its check that imageless ids
/// hold no placeholder (a host sync): greedy decoding's steps feed back the model's own
/// tokens, which never are one (generation bans them), and a captured step may not sync.
class DecodeStepScope {
 public:
  DecodeStepScope();
  ~DecodeStepScope();
  DecodeStepScope(const DecodeStepScope&) = delete;
  DecodeStepScope& operator=(const DecodeStepScope&) = delete;

 private:
  bool previous_;
};

}  // namespace clear_sweep
