// How an image becomes the vision tower's input. Three ways:
//   - stretch: our from-scratch presets' (resize to a square, CLIP statistics);
//   - clip: llava-1.5's CLIPImageProcessor, read from the model folder's
//     preprocessor_config.json: shortest edge to `size` with PIL's bicubic filter, center
//     crop, rescale, normalise. The resize uses PIL's filter and weights (separable,
//     bicubic a = -0.5, support scaled when shrinking), so pixels stay within 1/255 of the
//     processor's PIL path (tests/data/test_clip_processor.py).
//   - qwen2_vl: Qwen2-VL's and Qwen2.5-VL's Qwen2VLImageProcessor: each image keeps its
//     aspect, resized (smart_resize, the same PIL bicubic) to multiples of patch * merge
//     with its pixel count within [min_pixels, max_pixels], rescaled, normalised and cut
//     into flattened patches; images of different sizes give different numbers of patches
//     (tests/data/test_qwen2_vl_processor.py holds the numbers against transformers).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "data/image.h"

namespace clear_sweep {

struct ImageProcessor {
  enum class Kind { stretch, clip, qwen2_vl };
  Kind kind = Kind::stretch;
  int shortest_edge = 0;  ///< clip: the resize target of the shorter side
  /// stretch and clip: the output's fixed height and width (clip: always center-cropped).
  /// qwen2_vl: meaningless and left 0: the output's size follows each image (output_shape).
  int crop_height = 0, crop_width = 0;
  bool do_resize = true, do_rescale = true, do_normalize = true;
  double rescale_factor = 1.0 / 255.0;
  PixelNorm norm = kClipPixelNorm;

  // qwen2_vl only; transformers' defaults where a folder leaves a key out.
  int64_t min_pixels = 56 * 56;         ///< smart_resize's floor on height * width
  int64_t max_pixels = 28 * 28 * 1280;  ///< and its ceiling (1280 merged tokens)
  int patch_size = 14;                  ///< the encoder's square patch, in pixels
  int temporal_patch_size = 2;          ///< frames per patch: an image is repeated this often
  int merge_size = 2;                   ///< merge x merge patches become one decoder token

  /// An image's patch grid before merging: transformers' image_grid_thw row.
  struct PatchGrid {
    int64_t t = 1, h = 0, w = 0;
  };

  /// The stretch processor to size x size.
  static ImageProcessor stretch(int size);
  /// A Qwen2-VL processor for our presets (CLIP mean and std, rescale and normalise on).
  static ImageProcessor qwen2_vl(int patch, int merge, int temporal_patch, int64_t min_pixels, int64_t max_pixels);
  /// preprocessor_config.json's text, or processor_config.json's "image_processor":
  /// CLIPImageProcessor (the default where image_processor_type is missing) or
  /// Qwen2VLImageProcessor (also its Fast and Pil names; Qwen2.5-VL's folders use them).
  /// Error naming `source` and the key on anything it cannot follow (another resample
  /// filter, a size without shortest_edge ...).
  static ImageProcessor parse(const std::string& text, const std::string& source);

  /// qwen2_vl: transformers' smart_resize at factor patch_size * merge_size, as
  /// (height, width): both multiples of the factor, height * width within [min_pixels,
  /// max_pixels] where rounding allows, the aspect kept as closely as that allows. An
  /// image wider or taller than 200 : 1 (or empty) is an Error naming its size.
  std::pair<int, int> smart_resize(int height, int width) const;
  /// qwen2_vl: the grid of a height x width image: t = 1, h and w its resized size in
  /// patches (the image as it is where do_resize is off: then an Error unless both sides
  /// are multiples of patch_size * merge_size).
  PatchGrid patch_grid(int height, int width) const;
  /// qwen2_vl: the <|image_pad|> tokens the decoder gets for the image: t * h * w / merge^2.
  int64_t image_tokens(int height, int width) const;

  /// The shape of operator()'s output for `image`:
  ///   stretch, clip: [3, crop_height, crop_width];
  ///   qwen2_vl:      [grid.t * grid.h * grid.w, 3 * temporal_patch_size * patch_size^2].
  std::vector<int64_t> output_shape(const Image& image) const;

  /// The model input, output_shape(image) floats:
  ///   stretch, clip: channel-major [3, crop_height, crop_width];
  ///   qwen2_vl: [patches, 3 * temporal_patch_size * patch_size^2], row-major, in
  ///     transformers' patchify order: patches by (h / merge, w / merge, merge, merge),
  ///     so each merge x merge block is contiguous; each patch's vector by (channel,
  ///     frame, py, px), the image repeated as temporal_patch_size equal frames.
  std::vector<float> operator()(const Image& image) const;
};

/// The files a model folder's image processor settings are read from, in the order
/// transformers resolves them: processor_config.json's "image_processor" (what
/// transformers 5's processors save), then preprocessor_config.json (the hub's older
/// folders, and an image processor saved alone).
inline constexpr const char* kProcessorConfigFile = "processor_config.json";
inline constexpr const char* kPreprocessorConfigFile = "preprocessor_config.json";

/// The model folder's processor, from the first of the files above that holds its
/// settings. A folder with neither gets the stretch to `image_size` when
/// `stretch_if_missing` (our presets' folders, which have none); otherwise it is an
/// Error naming the folder and the files looked for: a real model's images are never
/// silently stretched. A clip processor's crop must be image_size square (the tower
/// takes one size); a qwen2_vl processor's output follows each image, so image_size is
/// not checked against it.
ImageProcessor load_image_processor(const std::string& dir, int image_size, bool stretch_if_missing);

/// PIL's Image.resize(..., BICUBIC) on 8-bit RGB, within 1/255.
Image resize_bicubic_pil(const Image& image, int width, int height);

/// The image, resized as CLIPImageProcessor resizes (shortest edge to `shortest_edge`)
/// and center-cropped, as 8-bit RGB: the part before rescaling and normalising.
Image clip_resize_and_crop(const Image& image, const ImageProcessor& processor);

/// The image resized as Qwen2VLImageProcessor resizes it (smart_resize, PIL bicubic; as it
/// is where do_resize is off), as 8-bit RGB: the part before rescaling, normalising and
/// cutting into patches.
Image qwen2_vl_resize(const Image& image, const ImageProcessor& processor);

}  // namespace clear_sweep
