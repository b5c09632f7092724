// How an image becomes the vision tower's input. Two ways:
//   - stretch: our from-scratch presets' (resize to a square, CLIP statistics);
//   - clip: llava-1.5's CLIPImageProcessor, read from the model folder's
//     preprocessor_config.json: shortest edge to `size` with PIL's bicubic filter, center
//     crop, rescale, normalise. The resize uses PIL's filter and weights (separable,
//     bicubic a = -0.5, support scaled when shrinking), so pixels stay within 1/255 of the
//     processor's PIL path (tests/data/test_clip_processor.py).
#pragma once

#include <string>
#include <vector>

#include "data/image.h"

namespace clear_sweep {

struct ImageProcessor {
  enum class Kind { stretch, clip };
  Kind kind = Kind::stretch;
  int shortest_edge = 0;  ///< clip: the resize target of the shorter side
  int crop_height = 0, crop_width = 0;
  bool do_resize = true, do_rescale = true, do_normalize = true;  // always center-cropped
  double rescale_factor = 1.0 / 255.0;
  PixelNorm norm = kClipPixelNorm;

  /// The stretch processor to size x size.
  static ImageProcessor stretch(int size);
  /// preprocessor_config.json's text; Error naming `source` and the key on anything it
  /// cannot follow (another resample filter, a size without shortest_edge ...).
  static ImageProcessor parse(const std::string& text, const std::string& source);

  /// 3 x crop_height x crop_width floats, channel-major.
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
/// silently stretched.
ImageProcessor load_image_processor(const std::string& dir, int image_size, bool stretch_if_missing);

/// PIL's Image.resize(..., BICUBIC) on 8-bit RGB, within 1/255.
Image resize_bicubic_pil(const Image& image, int width, int height);

/// The image, resized as CLIPImageProcessor resizes (shortest edge to `shortest_edge`)
/// and center-cropped, as 8-bit RGB: the part before rescaling and normalising.
Image clip_resize_and_crop(const Image& image, const ImageProcessor& processor);

}  // namespace clear_sweep
