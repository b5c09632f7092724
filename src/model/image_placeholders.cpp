#include "model/image_placeholders.h"

#include <string>

#include "common/error.h"

namespace clear_sweep {

namespace {
thread_local bool in_decode_step = false;
}  // namespace

DecodeStepScope::DecodeStepScope() : previous_(in_decode_step) { in_decode_step = true; }
DecodeStepScope::~DecodeStepScope() { in_decode_step = previous_; }

torch::Tensor embed_with_images(Embedding& table, const torch::Tensor& ids, int32_t image_id, bool has_images,
                                const std::function<torch::Tensor()>& image_features) {
  if (in_decode_step && !has_images) return table(ids);        // never a placeholder (DecodeStepScope)
  const torch::Tensor is_image = ids == image_id;              // [B, T]
  torch::Tensor embeds = table(ids.masked_fill(is_image, 0));  // [B, T, D]
  if (!has_images) {
    CS_ASSERT(!is_image.any().item<bool>(), "image placeholder tokens without images");
    return embeds;
  }
  const torch::Tensor features = image_features().to(embeds.scalar_type());  // [placeholders, D]
  const int64_t placeholders = is_image.sum().item<int64_t>();
  CS_ASSERT(placeholders == features.size(0), "image placeholders (" + std::to_string(placeholders) +
                                                  ") do not match the images' " + std::to_string(features.size(0)) +
                                                  " features");
  return embeds.masked_scatter(is_image.unsqueeze(-1), features);
}

}  // namespace clear_sweep
