// LLaVA-NeXT (transformers' LlavaNextForConditionalGeneration, LLaVA-1.6): LLaVA-1.5's
// CLIP tower, projector and decoder (Vicuna's Llama or Mistral), with AnyRes images. An
// image comes as its tiles at the grid pinpoint that fits it best, after a base view of
// the whole image; the model lays the tiles' features back out as one feature map,
// crops the padding the processor added around the image (unpad), ends each row of it
// with the learned image_newline, and puts the base view's features first. Parameter
// names are LLaVA's, with image_newline beside them.
// Shapes: S the tile side in pixels (vision image_size), s = S / patch the features per
// tile side, D the decoder width, N images.
#pragma once

#include <torch/torch.h>

#include "model/llava/llava_model.h"

namespace clear_sweep {

class LlavaNextImpl : public LlavaImpl {
 public:
  explicit LlavaNextImpl(const ModelConfig& config);
  /// inputs.images [tiles of every image, 3, S, S] (each image's base view first);
  /// inputs.image_grids [N, 3]: each image's tile count and original height and width.
  torch::Tensor embed(const ModelInputs& inputs) override;
  /// The packed features of every image, [their placeholders, D]: each image's base view,
  /// then its unpadded tile map row by row, each row ended by image_newline.
  torch::Tensor image_features(const ModelInputs& inputs);
  torch::Tensor image_newline;  ///< [D]
};

/// The feature map of one image's tiles, [D, rows, columns], with the processor's
/// padding around an image of `height` x `width` cropped off, as transformers' unpad_image.
torch::Tensor unpad_features(const torch::Tensor& features, int64_t height, int64_t width);

}  // namespace clear_sweep
