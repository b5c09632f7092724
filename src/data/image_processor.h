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
//   - llava_next: LLaVA-NeXT's LlavaNextImageProcessor ("AnyRes"), as its PIL backend
//     (LlavaNextImageProcessorPil) computes it: the base image stretched to the base size,
//     then the image resized keeping its aspect to fit the grid pinpoint that suits it
//     best, zero-padded (in 8 bits) to the pinpoint and cut into crop-side tiles; every
//     crop then resized and center-cropped as CLIP's, rescaled and normalised. An image
//     gives 1 + tiles crops (tests/data/test_llava_next_processor.py holds the numbers).
//   - idefics2: Idefics2's Idefics2ImageProcessor, as its PIL backend
//     (Idefics2ImageProcessorPil) computes it: optionally split into its four quarters
//     followed by the whole (do_image_splitting), each crop resized keeping its aspect
//     under longest_edge then each side raised to shortest_edge (PIL's bilinear filter on
//     8 bits, exactly as Pillow computes it), rescaled and normalised (mean = std = 0.5).
//     Where transformers pads a batch's crops and masks the padding, clear-sweep packs each
//     crop's full patch_size patches only: the Idefics2 vision encoder keeps just those, so
//     a crop's result does not depend on the batch (tests/data/test_idefics2_processor.py).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "data/image.h"

namespace clear_sweep {

struct ImageProcessor {
  enum class Kind { stretch, clip, qwen2_vl, llava_next, idefics2 };
  Kind kind = Kind::stretch;
  /// clip: the resize target of the shorter side. llava_next: size.shortest_edge, the base
  /// image's side (0 where size gives height and width instead: base_height, base_width).
  /// idefics2: size.shortest_edge, the least each side of a resized crop has (0 where size
  /// gives height and width instead: then every crop is stretched to base_height x base_width).
  int shortest_edge = 0;
  /// stretch and clip: the output's fixed height and width (clip: always center-cropped).
  /// qwen2_vl, idefics2: meaningless and left 0: the output's size follows each image (output_shape).
  /// llava_next: crop_size, the side of each tile and of every output crop (height == width).
  int crop_height = 0, crop_width = 0;
  bool do_resize = true, do_rescale = true, do_normalize = true;
  double rescale_factor = 1.0 / 255.0;
  PixelNorm norm = kClipPixelNorm;

  // qwen2_vl only; transformers' defaults where a folder leaves a key out.
  int64_t min_pixels = 56 * 56;         ///< smart_resize's floor on height * width
  int64_t max_pixels = 28 * 28 * 1280;  ///< and its ceiling (1280 merged tokens)
  /// The encoder's square patch, in pixels. idefics2 too: there the processor's files have
  /// none; the family sets it from vision_config.patch_size after parsing.
  int patch_size = 14;
  int temporal_patch_size = 2;  ///< frames per patch: an image is repeated this often
  int merge_size = 2;           ///< merge x merge patches become one decoder token

  // llava_next only; transformers' defaults where a folder leaves a key out.
  /// image_grid_pinpoints: the resolutions an image may be tiled at, each (height, width);
  /// parse refuses any that is not a multiple of the crop side.
  std::vector<std::pair<int, int>> grid_pinpoints = {{336, 672}, {672, 336}, {672, 672}, {1008, 336}, {336, 1008}};
  /// size {"height", "width"}: the base image's size where a folder gives it so (0 where
  /// size is shortest_edge: then the base is shortest_edge square). idefics2 too: the fixed
  /// size every crop is resized to (0 where size is {shortest_edge, longest_edge}).
  int base_height = 0, base_width = 0;
  bool do_center_crop = true;  ///< each crop center-cropped to crop_size after the resize (clip refuses false)
  /// transformers pads a batch's images with zero crops to the most crops (idefics2: and
  /// every crop to the batch's largest, with a pixel_attention_mask); clear-sweep packs each
  /// image's own crops (operator()), so the setting is read and not needed.
  bool do_pad = true;
  // llava_next, model-side: not in the processor's files; the family sets them from the
  // model's config.json after parsing (they only change image_tokens).
  int vision_patch_size = 14;     ///< the vision tower's patch side (vision_config.patch_size)
  bool keep_class_token = false;  ///< vision_feature_select_strategy "full"; "default" drops the CLS feature

  // idefics2 only; transformers' defaults where a folder leaves a key out.
  /// size.longest_edge: a crop whose longer side is over it is scaled down to it, keeping
  /// its aspect (the shorter side truncated), before each side is raised to shortest_edge
  /// (0 where size gives height and width).
  int longest_edge = 980;
  /// Each image cut into its four quarters (rows [0, h / 2) and [h / 2, h), the same for
  /// the columns), then the whole image: 5 crops, each resized on its own.
  bool do_image_splitting = false;
  // idefics2, model-side: Idefics2Processor's image_seq_len, not in the image processor's
  // files; the family sets it from perceiver_config.resampler_n_latents after parsing.
  int image_seq_len = 64;  ///< the <image> tokens (the perceiver's latents) per crop

  /// An image's patch grid before merging: transformers' image_grid_thw row.
  struct PatchGrid {
    int64_t t = 1, h = 0, w = 0;
  };

  /// The stretch processor to size x size.
  static ImageProcessor stretch(int size);
  /// A Qwen2-VL processor for our presets (CLIP mean and std, rescale and normalise on).
  static ImageProcessor qwen2_vl(int patch, int merge, int temporal_patch, int64_t min_pixels, int64_t max_pixels);
  /// A LLaVA-NeXT processor for our presets: tiles of crop x crop at `pinpoints`, the base
  /// crop square (size.shortest_edge = crop), CLIP mean and std, rescale and normalise on.
  static ImageProcessor llava_next(std::vector<std::pair<int, int>> pinpoints, int crop);
  /// An Idefics2 processor for our presets: patch x patch patches, image_seq_len tokens per
  /// crop, size {shortest_edge, longest_edge}, do_image_splitting = `splitting`; mean and
  /// std 0.5, rescale and normalise on, bilinear.
  static ImageProcessor idefics2(int patch, int image_seq_len, int shortest_edge, int longest_edge, bool splitting);
  /// preprocessor_config.json's text, or processor_config.json's "image_processor":
  /// CLIPImageProcessor (the default where image_processor_type is missing),
  /// Qwen2VLImageProcessor (also its Fast and Pil names; Qwen2.5-VL's folders use them),
  /// LlavaNextImageProcessor or Idefics2ImageProcessor (each also its Fast and Pil names).
  /// Error naming `source` and the key on anything it cannot follow (another resample
  /// filter: bicubic (3) for the first three, bilinear (2) for Idefics2; a size without
  /// shortest_edge, or for Idefics2 other than {shortest_edge, longest_edge} or {height,
  /// width}; pinpoints that are not multiples of the crop ...). The model-side settings
  /// (vision_patch_size, keep_class_token; patch_size and image_seq_len for Idefics2) keep
  /// their defaults: the family sets them from the model's config.json.
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
  /// idefics2: the size of a height x width crop after the resize, as (height, width):
  /// transformers' get_resize_output_image_size (a side over longest_edge scaled to it,
  /// the other int()-truncated to keep the aspect, then each side raised to shortest_edge
  /// on its own); size {height, width}'s fixed size; the crop's own where do_resize is off.
  std::pair<int, int> idefics2_resize(int height, int width) const;
  /// The placeholder tokens the decoder gets for a height x width image:
  ///   qwen2_vl: the <|image_pad|> tokens, t * h * w / merge^2;
  ///   llava_next: the <image> tokens LlavaNextProcessor expands it to (its
  ///     _get_number_of_features with num_additional_image_tokens = 1, the CLIP tower's
  ///     class token, less that one under "default"): the base crop's (crop /
  ///     vision_patch_size)^2 features (+ 1 with keep_class_token), and the tiles' feature
  ///     map at the best pinpoint with its padding rows or columns removed (unpad), plus
  ///     one newline per row;
  ///   idefics2: the <image> tokens Idefics2Processor expands it to: image_seq_len per crop
  ///     (5 crops with do_image_splitting, else 1); the <fake_token_around_image> around
  ///     them are the chat template's. An image operator() refuses is refused here too.
  /// stretch, clip: a bug to ask (their count is the tower's, fixed).
  int64_t image_tokens(int height, int width) const;
  /// idefics2: the crops an image becomes, the four quarters and the whole with
  /// do_image_splitting, else the one (Idefics2Processor's <image> runs per image).
  int crops_per_image() const { return do_image_splitting ? 5 : 1; }
  /// What the model needs of a height x width image beside its pixels (a row of
  /// ModelInputs::image_grids):
  ///   qwen2_vl: its patch grid (t, h, w), as patch_grid;
  ///   llava_next: (crops, height, width): the crops operator() gives, base included, and
  ///     the image's own size (transformers' image_sizes), from which the model finds the
  ///     tiles' grid (select_best_resolution) and unpads their features.
  /// stretch, clip: a bug to ask; idefics2 too (one row per crop: layout_rows).
  std::array<int64_t, 3> layout(int height, int width) const;
  /// The rows of ModelInputs::image_grids a height x width image gets:
  ///   qwen2_vl, llava_next: one, {layout(height, width)};
  ///   idefics2: one per crop, in operator()'s order: (1, gh, gw), the crop's full patches
  ///     down and across (its resized height and width over patch_size, floored).
  /// stretch, clip: a bug to ask.
  std::vector<std::array<int64_t, 3>> layout_rows(int height, int width) const;

  /// The shape of operator()'s output for `image`:
  ///   stretch, clip: [3, crop_height, crop_width];
  ///   qwen2_vl:      [grid.t * grid.h * grid.w, 3 * temporal_patch_size * patch_size^2];
  ///   llava_next:    [crops, 3, crop_height, crop_width], crops = layout(...)[0];
  ///   idefics2:      [sum over layout_rows of gh * gw, 3 * patch_size^2].
  /// idefics2: an image whose crop has no full patch (a side under patch_size, as a small
  /// image can have with do_resize off) is an Error naming its size and "patch_size"; one
  /// too small to split (a side under 2) an Error naming "image size".
  std::vector<int64_t> output_shape(const Image& image) const;

  /// The model input, output_shape(image) floats:
  ///   stretch, clip: channel-major [3, crop_height, crop_width];
  ///   qwen2_vl: [patches, 3 * temporal_patch_size * patch_size^2], row-major, in
  ///     transformers' patchify order: patches by (h / merge, w / merge, merge, merge),
  ///     so each merge x merge block is contiguous; each patch's vector by (channel,
  ///     frame, py, px), the image repeated as temporal_patch_size equal frames;
  ///   llava_next: [crops, 3, crop_height, crop_width]: the base image first, then the tiles
  ///     row by row (transformers' pixel_values of the image, without a batch's padding);
  ///   idefics2: [patches, 3 * patch_size^2], row-major: the crops in transformers' order
  ///     (the four quarters top-left, top-right, bottom-left, bottom-right, then the whole;
  ///     or the image alone), each crop's full patches row by row (patch (r, c) at
  ///     r * gw + c), each patch's vector by (channel, py, px): the flattening of the
  ///     encoder's Conv2d weight [D, 3, p, p], so the model applies it as a linear map. The
  ///     pixels past a crop's last full row or column of patches are dropped, as the
  ///     stride-p convolution drops them.
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
/// takes one size); a qwen2_vl or idefics2 processor's output follows each image and a
/// llava_next one's crop is its family's to check, so image_size is not checked against them.
ImageProcessor load_image_processor(const std::string& dir, int image_size, bool stretch_if_missing);

/// PIL's Image.resize(..., BICUBIC) on 8-bit RGB, within 1/255.
Image resize_bicubic_pil(const Image& image, int width, int height);
/// PIL's Image.resize(..., BILINEAR) on 8-bit RGB, as Pillow computes it: the triangle
/// filter's taps (support scaled when shrinking) in Pillow's fixed point, each pass rounded
/// and clipped to 8 bits, the passes in Pillow's order: equal to Pillow's pixels.
Image resize_bilinear_pil(const Image& image, int width, int height);

/// The image, resized as CLIPImageProcessor resizes (shortest edge to `shortest_edge`)
/// and center-cropped, as 8-bit RGB: the part before rescaling and normalising.
Image clip_resize_and_crop(const Image& image, const ImageProcessor& processor);

/// The image resized as Qwen2VLImageProcessor resizes it (smart_resize, PIL bicubic; as it
/// is where do_resize is off), as 8-bit RGB: the part before rescaling, normalising and
/// cutting into patches.
Image qwen2_vl_resize(const Image& image, const ImageProcessor& processor);

/// Python's int(round(x, 7)) for x >= 0: transformers' arithmetic when it unpads
/// LLaVA-NeXT's features (the processor's token count and the model's crop agree on it).
int64_t int_round7(double x);

/// transformers' select_best_resolution (image_processing_utils.py): of `pinpoints`, each
/// (height, width), the one where the image scaled to fit keeps the most of its pixels
/// (effective resolution: the scaled size truncated, at most the image's own pixel count),
/// then the one that wastes the least area; the first of equals. A height x width image
/// that is empty is an Error naming its size, as are empty pinpoints naming the key.
std::pair<int, int> select_best_resolution(int height, int width, const std::vector<std::pair<int, int>>& pinpoints);
/// The same on pinpoints as a model's config holds them (VisionConfig::anyres_pinpoints).
std::pair<int, int> select_best_resolution(int height, int width, const std::vector<std::array<int64_t, 2>>& pinpoints);

/// The crops LlavaNextImageProcessor makes of `image` (llava_next), as 8-bit RGB
/// crop_height x crop_width images: the part before rescaling and normalising. The base
/// (the image resized to the base size) first, then the tiles of the image resized to fit
/// its best pinpoint keeping its aspect (get_patch_output_size), zero-padded centred to
/// it, row by row; each crop resized to the base size (do_resize) and center-cropped
/// (do_center_crop) as transformers' _preprocess does.
std::vector<Image> llava_next_crops(const Image& image, const ImageProcessor& processor);

/// The crops Idefics2ImageProcessor makes of `image` (idefics2), as 8-bit RGB: the part
/// before rescaling, normalising and cutting into patches. The four quarters then the
/// whole where do_image_splitting (else the image alone), each resized to
/// idefics2_resize(its size) with PIL's bilinear filter (as it is where do_resize is off).
/// Their full patches are not checked here: operator() and output_shape check them.
std::vector<Image> idefics2_crops(const Image& image, const ImageProcessor& processor);

}  // namespace clear_sweep
