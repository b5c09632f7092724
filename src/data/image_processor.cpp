#include "data/image_processor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"

namespace clear_sweep {
namespace {

/// PIL's bicubic kernel (a = -0.5), support 2.
double bicubic(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

/// PIL's bilinear kernel (the triangle), support 1.
double bilinear(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

/// One of PIL's filters: its kernel and its support at scale 1 (Resample.c's struct filter).
struct PilFilter {
  double (*kernel)(double);
  double support;
};
constexpr PilFilter kPilBicubic{bicubic, 2.0}, kPilBilinear{bilinear, 1.0};

/// One output pixel's taps along an axis: the first input index and fixed-point weights.
struct Taps {
  int first = 0;
  std::vector<int32_t> weights;
};

/// PIL's precompute_coeffs and normalize_coeffs_8bpc: weights over the input pixels
/// under each output pixel, scaled to 22 fraction bits.
constexpr int kPrecisionBits = 32 - 8 - 2;

std::vector<Taps> pil_taps(int in_size, int out_size, const PilFilter& filter) {
  const double scale = double(in_size) / double(out_size);
  const double filter_scale = std::max(scale, 1.0);
  const double support = filter.support * filter_scale, inverse = 1.0 / filter_scale;
  std::vector<Taps> taps(static_cast<size_t>(out_size));
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    int xmin = int(center - support + 0.5);  // truncation, as PIL's (int) casts
    if (xmin < 0) xmin = 0;
    int xmax = int(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    std::vector<double> k(size_t(xmax - xmin));
    double total = 0.0;
    for (int x = 0; x < xmax - xmin; ++x) {
      k[size_t(x)] = filter.kernel((x + xmin - center + 0.5) * inverse);  // PIL multiplies: same rounding
      total += k[size_t(x)];
    }
    Taps& t = taps[size_t(xx)];
    t.first = xmin;
    for (double w : k) {
      if (total != 0.0) w /= total;
      t.weights.push_back(
          int32_t(w < 0 ? std::trunc(-0.5 + w * (1 << kPrecisionBits)) : std::trunc(0.5 + w * (1 << kPrecisionBits))));
    }
  }
  return taps;
}

/// Interleaved RGB pixels in double precision, before, between and after the passes.
struct FloatImage {
  int width = 0, height = 0;
  std::vector<double> values;  ///< height * width * 3
  FloatImage(int w, int h) : width(w), height(h), values(size_t(w) * size_t(h) * 3) {}
  double& at(int x, int y, int c) { return values[(size_t(y) * size_t(width) + size_t(x)) * 3 + size_t(c)]; }
  double at(int x, int y, int c) const { return values[(size_t(y) * size_t(width) + size_t(x)) * 3 + size_t(c)]; }
};

/// One of PIL's passes: along x (`horizontal`) or y, with `taps` per output pixel,
/// clipped to [0, 255] as PIL clips each pass.
FloatImage resample_pass(const FloatImage& in, const std::vector<Taps>& taps, bool horizontal) {
  const double unit = double(1 << kPrecisionBits);
  FloatImage out(horizontal ? int(taps.size()) : in.width, horizontal ? in.height : int(taps.size()));
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x) {
      const Taps& t = taps[size_t(horizontal ? x : y)];
      for (int c = 0; c < 3; ++c) {
        double sum = 0.0;
        for (size_t i = 0; i < t.weights.size(); ++i)
          sum += (horizontal ? in.at(t.first + int(i), y, c) : in.at(x, t.first + int(i), c)) * (t.weights[i] / unit);
        out.at(x, y, c) = std::clamp(sum, 0.0, 255.0);
      }
    }
  return out;
}

/// One of Pillow's 8-bit passes (ImagingResampleHorizontal_8bpc, _Vertical_8bpc) as it
/// computes it: the fixed-point sum from half a unit, truncated to 8 bits and clipped.
Image resample_pass_8bit(const Image& in, const std::vector<Taps>& taps, bool horizontal) {
  Image out(horizontal ? int(taps.size()) : in.width, horizontal ? in.height : int(taps.size()));
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x) {
      const Taps& t = taps[size_t(horizontal ? x : y)];
      for (int c = 0; c < 3; ++c) {
        int64_t sum = int64_t(1) << (kPrecisionBits - 1);
        for (size_t i = 0; i < t.weights.size(); ++i)
          sum += int64_t(horizontal ? in.at(t.first + int(i), y)[c] : in.at(x, t.first + int(i))[c]) * t.weights[i];
        out.at(x, y)[c] = uint8_t(std::clamp<int64_t>(sum >> kPrecisionBits, 0, 255));  // clip8
      }
    }
  return out;
}

/// Pillow 13's pass order (requirements/reference.txt): the vertical pass first where the
/// height shrinks by more than twice as many pixels as the width, else the horizontal
/// first (as every Pillow before 13 does).
bool pil_vertical_first(const Image& image, int width, int height) {
  const int shrink_y = image.height - height, shrink_x = image.width - width;
  return shrink_y > 0 && shrink_y > 2 * shrink_x;
}

}  // namespace

Image resize_bicubic_pil(const Image& image, int width, int height) {
  CS_ASSERT(width > 0 && height > 0, "resize to an empty image");
  // PIL's filter and weights, in double precision throughout: PIL rounds each pass to 8
  // bits and clips it to [0, 255]; rounding once keeps every pixel within 1/255 of PIL's
  // (tests/data/test_clip_processor.py, test_qwen2_vl_processor.py; most are equal). The
  // clip between the passes cannot be left out: where an edge overshoots, clipping
  // rows rather than columns first moves a pixel by several steps, so the passes run in
  // Pillow's order (pil_vertical_first).
  const bool vertical_first = pil_vertical_first(image, width, height);
  const std::vector<Taps> tx = pil_taps(image.width, width, kPilBicubic),
                          ty = pil_taps(image.height, height, kPilBicubic);
  FloatImage pixels(image.width, image.height);
  std::copy(image.rgb.begin(), image.rgb.end(), pixels.values.begin());
  pixels = vertical_first ? resample_pass(resample_pass(pixels, ty, false), tx, true)
                          : resample_pass(resample_pass(pixels, tx, true), ty, false);
  Image out(width, height);
  for (size_t i = 0; i < out.rgb.size(); ++i) out.rgb[i] = uint8_t(std::floor(pixels.values[i] + 0.5));  // in [0, 255]
  return out;
}

Image resize_bilinear_pil(const Image& image, int width, int height) {
  CS_ASSERT(width > 0 && height > 0 && image.width > 0 && image.height > 0, "resize to or from an empty image");
  // The same taps and pass order as the bicubic, but each pass in Pillow's own 8-bit
  // fixed point, so the pixels equal Pillow's (tests/data/test_idefics2_processor.py).
  // Pillow skips the pass along an axis whose size stays (its taps would copy anyway) and
  // copies an image whose size stays.
  if (image.width == width && image.height == height) return image;
  Image pixels = image;
  const auto horizontal = [&] {
    if (pixels.width != width) pixels = resample_pass_8bit(pixels, pil_taps(pixels.width, width, kPilBilinear), true);
  };
  const auto vertical = [&] {
    if (pixels.height != height)
      pixels = resample_pass_8bit(pixels, pil_taps(pixels.height, height, kPilBilinear), false);
  };
  if (pil_vertical_first(image, width, height)) {
    vertical();
    horizontal();
  } else {
    horizontal();
    vertical();
  }
  return pixels;
}

namespace {

/// transformers' center_crop: offsets floor((size - crop) / 2); zero padding where the
/// image is smaller than the crop.
Image center_crop(const Image& sized, int height, int width) {
  if (sized.height == height && sized.width == width) return sized;
  Image out(width, height);
  const int top = int(std::floor((sized.height - height) / 2.0));
  const int left = int(std::floor((sized.width - width) / 2.0));
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const int sy = y + top, sx = x + left;
      if (sy < 0 || sx < 0 || sy >= sized.height || sx >= sized.width) continue;
      std::copy_n(sized.at(sx, sy), 3, out.at(x, y));
    }
  return out;
}

/// PIL's resize to width x height, which copies an image that already has that size.
Image resize_to(const Image& image, int width, int height) {
  if (image.width == width && image.height == height) return image;
  return resize_bicubic_pil(image, width, height);
}

}  // namespace

Image clip_resize_and_crop(const Image& image, const ImageProcessor& p) {
  Image sized = image;
  if (p.do_resize) {
    // transformers' get_resize_output_image_size (default_to_square=False): the short
    // side to shortest_edge, the long side scaled and truncated.
    const bool wide = image.width > image.height;
    const int short_side = wide ? image.height : image.width, long_side = wide ? image.width : image.height;
    const int new_long = int(double(p.shortest_edge) * long_side / short_side);
    sized = wide ? resize_bicubic_pil(image, new_long, p.shortest_edge)
                 : resize_bicubic_pil(image, p.shortest_edge, new_long);
  }
  return center_crop(sized, p.crop_height, p.crop_width);
}

namespace {

/// One 8-bit value as transformers' numpy path makes it: rescaled in float64 and stored
/// as float32, then normalised in float32.
float to_input(uint8_t value, size_t c, const ImageProcessor& p) {
  double v = value;
  if (p.do_rescale) v = float(v * p.rescale_factor);
  if (p.do_normalize) v = (float(v) - p.norm.mean[c]) / p.norm.std[c];
  return float(v);
}

std::string size_text(int height, int width) {
  return std::to_string(height) + " x " + std::to_string(width) + " (height x width)";
}

/// The size Qwen2VLImageProcessor gives a height x width image: smart_resize's, or the
/// image's own where do_resize is off (patchify needs multiples of patch * merge).
std::pair<int, int> qwen2_vl_size(const ImageProcessor& p, int height, int width) {
  CS_ASSERT(p.kind == ImageProcessor::Kind::qwen2_vl, "a Qwen2-VL size asked of another kind of processor");
  if (p.do_resize) return p.smart_resize(height, width);
  const int factor = p.patch_size * p.merge_size;
  if (height <= 0 || width <= 0 || height % factor != 0 || width % factor != 0)
    throw Error(
        SourceLocation{}, "do_resize",
        "is false, but the image is " + size_text(height, width) +
            ": without the resize both sides must be multiples of patch_size * merge_size = " + std::to_string(factor),
        "turn do_resize on, as Qwen2-VL's folders have it");
  return {height, width};
}

}  // namespace

Image qwen2_vl_resize(const Image& image, const ImageProcessor& p) {
  const auto [height, width] = qwen2_vl_size(p, image.height, image.width);
  if (height == image.height && width == image.width) return image;  // PIL copies too
  return resize_bicubic_pil(image, width, height);
}

std::pair<int, int> select_best_resolution(int height, int width, const std::vector<std::pair<int, int>>& pinpoints) {
  if (height <= 0 || width <= 0)
    throw Error(SourceLocation{}, "image size", "is " + size_text(height, width) + ": the image is empty");
  if (pinpoints.empty()) throw Error(SourceLocation{}, "image_grid_pinpoints", "is empty: no resolution to tile at");
  // transformers' arithmetic: the scale in double precision, int() truncating the scaled
  // sides, the areas exact (Python's integers; int64 here). The first pinpoint always
  // wins over the initial (0, infinity), so wasted starts from it.
  std::pair<int, int> best = pinpoints.front();
  int64_t max_effective = -1, min_wasted = 0;
  for (const auto& [h, w] : pinpoints) {
    const double scale = std::min(double(w) / double(width), double(h) / double(height));
    const auto scaled_width = int64_t(double(width) * scale), scaled_height = int64_t(double(height) * scale);
    const int64_t effective = std::min(scaled_width * scaled_height, int64_t(width) * int64_t(height));
    const int64_t wasted = int64_t(w) * int64_t(h) - effective;
    if (effective > max_effective || (effective == max_effective && wasted < min_wasted)) {
      max_effective = effective;
      min_wasted = wasted;
      best = {h, w};
    }
  }
  return best;
}

std::pair<int, int> select_best_resolution(int height, int width,
                                           const std::vector<std::array<int64_t, 2>>& pinpoints) {
  std::vector<std::pair<int, int>> points;
  for (const auto& [h, w] : pinpoints) {
    CS_ASSERT(h > 0 && w > 0 && h <= std::numeric_limits<int>::max() && w <= std::numeric_limits<int>::max(),
              "a grid pinpoint outside (0, INT_MAX]");
    points.emplace_back(int(h), int(w));
  }
  return select_best_resolution(height, width, points);
}

namespace {

/// The base image's (height, width): size {height, width}, or shortest_edge square.
std::pair<int, int> llava_next_base(const ImageProcessor& p) {
  return p.shortest_edge > 0 ? std::pair<int, int>{p.shortest_edge, p.shortest_edge}
                             : std::pair<int, int>{p.base_height, p.base_width};
}

/// transformers' get_patch_output_size: the image scaled to fit target keeping its aspect,
/// the side that does not fill the target rounded up (math.ceil, at most the target).
std::pair<int, int> patch_output_size(int height, int width, int target_height, int target_width) {
  const double scale_w = double(target_width) / double(width), scale_h = double(target_height) / double(height);
  if (scale_w < scale_h) return {std::min(int(std::ceil(double(height) * scale_w)), target_height), target_width};
  return {target_height, std::min(int(std::ceil(double(width) * scale_h)), target_width)};
}

/// Python's a // b for b > 0.
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

}  // namespace

std::vector<Image> llava_next_crops(const Image& image, const ImageProcessor& p) {
  CS_ASSERT(p.kind == ImageProcessor::Kind::llava_next, "LLaVA-NeXT crops asked of another kind of processor");
  const int side = p.crop_height;
  const auto [best_height, best_width] = select_best_resolution(image.height, image.width, p.grid_pinpoints);
  CS_ASSERT(best_height % side == 0 && best_width % side == 0, "a grid pinpoint that is not a multiple of the crop");
  // _resize_for_patching, then _pad_for_patching: np.pad of the 8-bit image (before
  // rescaling), so the padding is 0 in 8 bits; divmod puts the odd pixel after.
  const auto [height, width] = patch_output_size(image.height, image.width, best_height, best_width);
  const Image resized = resize_to(image, width, height);
  Image padded(best_width, best_height);
  const int top = (best_height - height) / 2, left = (best_width - width) / 2;
  for (int y = 0; y < height; ++y) std::copy_n(resized.at(0, y), size_t(width) * 3, padded.at(left, top + y));
  // The base: the whole image stretched to the base size, always (do_resize or not).
  const auto [base_height, base_width] = llava_next_base(p);
  std::vector<Image> crops{resize_to(image, base_width, base_height)};
  // divide_to_patches: row-major tiles of side x side.
  for (int y = 0; y < best_height; y += side)
    for (int x = 0; x < best_width; x += side) {
      Image tile(side, side);
      for (int row = 0; row < side; ++row) std::copy_n(padded.at(x, y + row), size_t(side) * 3, tile.at(0, row));
      crops.push_back(std::move(tile));
    }
  // _preprocess: each crop resized to size (the base size: the base is there already, and
  // shortest_edge takes a square tile to shortest_edge square), then center-cropped.
  for (Image& crop : crops) {
    if (p.do_resize) crop = resize_to(crop, base_width, base_height);
    if (p.do_center_crop) crop = center_crop(crop, p.crop_height, p.crop_width);
    CS_ASSERT(crop.height == p.crop_height && crop.width == p.crop_width,
              "a LLaVA-NeXT crop that is not crop_size (parse lets no such setting through)");
  }
  return crops;
}

namespace {

/// A rectangle of an image: its top-left pixel and its size.
struct Region {
  int top = 0, left = 0, height = 0, width = 0;
};

/// The crops Idefics2ImageProcessor cuts a height x width image into, before the resize, in
/// its order: split_images' quarters (the middle row and column floored, the odd one going
/// to the bottom and right quarters) then the whole, or the whole alone. An image that is
/// empty, or too small to split (a quarter would be empty: transformers fails there), is
/// an Error naming its size.
std::vector<Region> idefics2_regions(const ImageProcessor& p, int height, int width) {
  CS_ASSERT(p.kind == ImageProcessor::Kind::idefics2, "Idefics2 crops asked of another kind of processor");
  if (height <= 0 || width <= 0)
    throw Error(SourceLocation{}, "image size", "is " + size_text(height, width) + ": the image is empty");
  if (!p.do_image_splitting) return {Region{0, 0, height, width}};
  const int mid_height = height / 2, mid_width = width / 2;
  if (mid_height == 0 || mid_width == 0)
    throw Error(SourceLocation{}, "image size",
                "is " + size_text(height, width) +
                    ": do_image_splitting cuts it into quarters, and a side of 1 leaves some of them empty",
                "turn do_image_splitting off, or use a larger image");
  return {Region{0, 0, mid_height, mid_width}, Region{0, mid_width, mid_height, width - mid_width},
          Region{mid_height, 0, height - mid_height, mid_width},
          Region{mid_height, mid_width, height - mid_height, width - mid_width}, Region{0, 0, height, width}};
}

/// Each crop's full patches (down, across) after the resize, in operator()'s order. A crop
/// without one is an Error naming its size and patch_size: the encoder would see nothing
/// of it, and transformers' model fails on such a crop.
std::vector<std::pair<int64_t, int64_t>> idefics2_grids(const ImageProcessor& p, int height, int width) {
  CS_ASSERT(p.patch_size > 0, "an Idefics2 processor with a patch that is not positive");
  std::vector<std::pair<int64_t, int64_t>> grids;
  for (const Region& r : idefics2_regions(p, height, width)) {
    const auto [h, w] = p.idefics2_resize(r.height, r.width);
    if (h < p.patch_size || w < p.patch_size)
      throw Error(SourceLocation{}, "patch_size",
                  "is " + std::to_string(p.patch_size) + ", more than a side of the image's crop of " +
                      size_text(h, w) + " (the image is " + size_text(height, width) +
                      "): the vision encoder would get no full patch of it",
                  p.do_resize ? "use a shortest_edge of at least patch_size, as Idefics2's folders have it"
                              : "turn do_resize on, as Idefics2's folders have it, or use a larger image");
    grids.emplace_back(h / p.patch_size, w / p.patch_size);
  }
  return grids;
}

}  // namespace

std::vector<Image> idefics2_crops(const Image& image, const ImageProcessor& p) {
  std::vector<Image> crops;
  for (const Region& r : idefics2_regions(p, image.height, image.width)) {
    // split_images slices the 8-bit array: the resize reads the quarter's own pixels only.
    Image crop(r.width, r.height);
    for (int y = 0; y < r.height; ++y) std::copy_n(image.at(r.left, r.top + y), size_t(r.width) * 3, crop.at(0, y));
    const auto [height, width] = p.idefics2_resize(r.height, r.width);
    crops.push_back(resize_bilinear_pil(crop, width, height));  // a copy where the size stays, as PIL's
  }
  return crops;
}

ImageProcessor ImageProcessor::stretch(int size) {
  ImageProcessor p;
  p.kind = Kind::stretch;
  p.crop_height = p.crop_width = p.shortest_edge = size;
  return p;
}

ImageProcessor ImageProcessor::qwen2_vl(int patch, int merge, int temporal_patch, int64_t min_pixels,
                                        int64_t max_pixels) {
  CS_ASSERT(patch > 0 && merge > 0 && temporal_patch > 0 && min_pixels > 0 && max_pixels > 0,
            "a Qwen2-VL preset with a size that is not positive");
  ImageProcessor p;
  p.kind = Kind::qwen2_vl;
  p.patch_size = patch;
  p.merge_size = merge;
  p.temporal_patch_size = temporal_patch;
  p.min_pixels = min_pixels;
  p.max_pixels = max_pixels;
  return p;
}

ImageProcessor ImageProcessor::llava_next(std::vector<std::pair<int, int>> pinpoints, int crop) {
  CS_ASSERT(crop > 0, "a LLaVA-NeXT preset with a crop that is not positive");
  for (const auto& [h, w] : pinpoints)
    CS_ASSERT(h > 0 && w > 0 && h % crop == 0 && w % crop == 0,
              "a LLaVA-NeXT preset pinpoint that is not a positive multiple of the crop");
  ImageProcessor p;
  p.kind = Kind::llava_next;
  p.grid_pinpoints = std::move(pinpoints);
  p.shortest_edge = p.crop_height = p.crop_width = crop;
  return p;
}

ImageProcessor ImageProcessor::idefics2(int patch, int image_seq_len, int shortest_edge, int longest_edge,
                                        bool splitting) {
  CS_ASSERT(patch > 0 && image_seq_len > 0 && shortest_edge > 0 && longest_edge > 0,
            "an Idefics2 preset with a size that is not positive");
  ImageProcessor p;
  p.kind = Kind::idefics2;
  p.patch_size = patch;
  p.image_seq_len = image_seq_len;
  p.shortest_edge = shortest_edge;
  p.longest_edge = longest_edge;
  p.do_image_splitting = splitting;
  p.norm = kStandardPixelNorm;
  return p;
}

std::pair<int, int> ImageProcessor::idefics2_resize(int height, int width) const {
  CS_ASSERT(kind == Kind::idefics2, "an Idefics2 resize asked of another kind of processor");
  if (!do_resize) return {height, width};
  if (shortest_edge == 0) return {base_height, base_width};  // size {height, width}
  CS_ASSERT(height > 0 && width > 0, "an Idefics2 resize of an empty crop");
  // get_resize_output_image_size, in its arithmetic: the aspect in double precision,
  // int() truncating; a square over longest_edge goes through the first branch.
  const double aspect = double(width) / double(height);
  if (width >= height && width > longest_edge) {
    width = longest_edge;
    height = int(double(width) / aspect);
  } else if (height > width && height > longest_edge) {
    height = longest_edge;
    width = int(double(height) * aspect);
  }
  return {std::max(height, shortest_edge), std::max(width, shortest_edge)};
}

std::pair<int, int> ImageProcessor::smart_resize(int height, int width) const {
  if (height <= 0 || width <= 0)
    throw Error(SourceLocation{}, "image size", "is " + size_text(height, width) + ": the image is empty");
  const double ratio = double(std::max(height, width)) / double(std::min(height, width));
  if (ratio > 200)
    throw Error(SourceLocation{}, "image size",
                "is " + size_text(height, width) + ": its aspect ratio " + std::to_string(ratio) +
                    " is over 200, which Qwen2-VL's smart_resize refuses",
                "crop the image nearer to a square");
  const int64_t factor = int64_t(patch_size) * merge_size;
  CS_ASSERT(factor > 0, "smart_resize with a patch or merge size that is not positive");
  // Python's round() takes halves to the even neighbour, as nearbyint does in the default
  // rounding mode; the divisions are Python's, in double precision.
  int64_t h_bar = int64_t(std::nearbyint(double(height) / double(factor))) * factor;
  int64_t w_bar = int64_t(std::nearbyint(double(width) / double(factor))) * factor;
  const double area = double(int64_t(height) * int64_t(width));
  if (h_bar * w_bar > max_pixels) {
    const double beta = std::sqrt(area / double(max_pixels));
    h_bar = std::max(factor, int64_t(std::floor(height / beta / double(factor))) * factor);
    w_bar = std::max(factor, int64_t(std::floor(width / beta / double(factor))) * factor);
  } else if (h_bar * w_bar < min_pixels) {
    const double beta = std::sqrt(double(min_pixels) / area);
    h_bar = int64_t(std::ceil(height * beta / double(factor))) * factor;
    w_bar = int64_t(std::ceil(width * beta / double(factor))) * factor;
  }
  if (h_bar > std::numeric_limits<int>::max() || w_bar > std::numeric_limits<int>::max())
    throw Error(SourceLocation{}, "min_pixels",
                "is " + std::to_string(min_pixels) + ": it resizes a " + size_text(height, width) + " image to " +
                    std::to_string(h_bar) + " x " + std::to_string(w_bar) +
                    ", larger than any image clear-sweep holds");
  return {int(h_bar), int(w_bar)};
}

ImageProcessor::PatchGrid ImageProcessor::patch_grid(int height, int width) const {
  const auto [h, w] = qwen2_vl_size(*this, height, width);
  return PatchGrid{1, h / patch_size, w / patch_size};
}

int64_t ImageProcessor::image_tokens(int height, int width) const {
  if (kind == Kind::idefics2) return int64_t(idefics2_grids(*this, height, width).size()) * image_seq_len;
  if (kind != Kind::llava_next) {
    const PatchGrid grid = patch_grid(height, width);
    return grid.t * grid.h * grid.w / (int64_t(merge_size) * merge_size);
  }
  // LlavaNextProcessor's _get_number_of_features and _get_unpadded_features, in their
  // arithmetic (the aspect ratios compared in double precision, int(round(x, 7))), at
  // the output crop's side (replace_image_token reads it from pixel_values).
  CS_ASSERT(vision_patch_size > 0, "a LLaVA-NeXT token count with a vision patch that is not positive");
  const int64_t side = crop_height;
  const auto [best_height, best_width] = select_best_resolution(height, width, grid_pinpoints);
  const int64_t patches = side / vision_patch_size;  // per side of a crop
  if (patches == 0)
    throw Error(SourceLocation{}, "crop_size",
                "is " + std::to_string(side) + ", smaller than the vision tower's patch " +
                    std::to_string(vision_patch_size) + ": a crop would give the tower no patch",
                "use the processor saved with the model");
  int64_t rows = patches * (best_height / side), columns = patches * (best_width / side);
  if (double(width) / double(height) > double(columns) / double(rows)) {
    const int64_t kept = int_round7(double(height) * (double(columns) / double(width)));
    rows -= 2 * floor_div(rows - kept, 2);
  } else {
    const int64_t kept = int_round7(double(width) * (double(rows) / double(height)));
    columns -= 2 * floor_div(columns - kept, 2);
  }
  const int64_t base = patches * patches + (keep_class_token ? 1 : 0);
  return base + rows * columns + rows;  // + one newline per row
}

std::array<int64_t, 3> ImageProcessor::layout(int height, int width) const {
  CS_ASSERT(kind != Kind::idefics2, "one layout row asked of an Idefics2 processor (its crops have one each)");
  if (kind != Kind::llava_next) {
    const PatchGrid grid = patch_grid(height, width);
    return {grid.t, grid.h, grid.w};
  }
  const auto [best_height, best_width] = select_best_resolution(height, width, grid_pinpoints);
  const int64_t tiles = int64_t(best_height / crop_height) * int64_t(best_width / crop_width);
  return {1 + tiles, height, width};
}

std::vector<std::array<int64_t, 3>> ImageProcessor::layout_rows(int height, int width) const {
  if (kind != Kind::idefics2) return {layout(height, width)};
  std::vector<std::array<int64_t, 3>> rows;
  for (const auto& [h, w] : idefics2_grids(*this, height, width)) rows.push_back({1, h, w});
  return rows;
}

std::vector<int64_t> ImageProcessor::output_shape(const Image& image) const {
  if (kind == Kind::llava_next) return {layout(image.height, image.width)[0], 3, crop_height, crop_width};
  if (kind == Kind::idefics2) {
    int64_t patches = 0;
    for (const auto& [h, w] : idefics2_grids(*this, image.height, image.width)) patches += h * w;
    return {patches, 3 * int64_t(patch_size) * patch_size};
  }
  if (kind != Kind::qwen2_vl) return {3, crop_height, crop_width};
  const PatchGrid grid = patch_grid(image.height, image.width);
  return {grid.t * grid.h * grid.w, 3 * int64_t(temporal_patch_size) * patch_size * patch_size};
}

std::vector<float> ImageProcessor::operator()(const Image& image) const {
  if (kind == Kind::stretch) return image_to_input(image, crop_width, norm);
  if (kind == Kind::llava_next) {
    std::vector<float> out;  // [crops, 3, crop_height, crop_width]
    for (const Image& crop : llava_next_crops(image, *this)) {
      const size_t plane = size_t(crop.width) * size_t(crop.height), first = out.size();
      out.resize(first + 3 * plane);
      for (size_t i = 0; i < plane; ++i)
        for (size_t c = 0; c < 3; ++c) out[first + c * plane + i] = to_input(crop.rgb[i * 3 + c], c, *this);
    }
    return out;
  }
  if (kind == Kind::idefics2) {
    // Each crop's full patches, row by row; each patch's vector by (channel, py, px).
    const std::vector<std::pair<int64_t, int64_t>> grids = idefics2_grids(*this, image.height, image.width);
    const std::vector<Image> crops = idefics2_crops(image, *this);
    CS_ASSERT(crops.size() == grids.size(), "Idefics2 crops and grids disagree");
    const size_t P = size_t(patch_size), dim = 3 * P * P;
    size_t patches = 0;
    for (const auto& [h, w] : grids) patches += size_t(h * w);
    std::vector<float> out(patches * dim);  // [patches, 3 * P * P]
    float* v = out.data();
    for (size_t k = 0; k < crops.size(); ++k)
      for (size_t r = 0; r < size_t(grids[k].first); ++r)
        for (size_t col = 0; col < size_t(grids[k].second); ++col)
          for (size_t c = 0; c < 3; ++c)
            for (size_t py = 0; py < P; ++py)
              for (size_t px = 0; px < P; ++px)
                *v++ = to_input(crops[k].at(int(col * P + px), int(r * P + py))[c], c, *this);
    CS_ASSERT(v == out.data() + out.size(), "Idefics2 patches do not fill the output");
    return out;
  }
  const Image pixels = kind == Kind::clip ? clip_resize_and_crop(image, *this) : qwen2_vl_resize(image, *this);
  const size_t plane = size_t(pixels.width) * size_t(pixels.height);
  std::vector<float> planes(3 * plane);  // [3, H, W]
  for (size_t i = 0; i < plane; ++i)
    for (size_t c = 0; c < 3; ++c) planes[c * plane + i] = to_input(pixels.rgb[i * 3 + c], c, *this);
  if (kind == Kind::clip) return planes;

  // transformers' patchify: the merge x merge patches of each decoder token one after
  // another, row-major within the block and over the blocks; each patch's vector is
  // [3][temporal_patch_size][patch][patch], the frame repeated.
  const size_t P = size_t(patch_size), M = size_t(merge_size), T = size_t(temporal_patch_size);
  const size_t width = size_t(pixels.width), grid_h = size_t(pixels.height) / P, grid_w = width / P;
  const size_t frame = P * P, dim = 3 * T * frame;
  std::vector<float> out(grid_h * grid_w * dim);  // [grid_h * grid_w, dim]
  float* v = out.data();
  for (size_t bh = 0; bh < grid_h / M; ++bh)
    for (size_t bw = 0; bw < grid_w / M; ++bw)
      for (size_t mh = 0; mh < M; ++mh)
        for (size_t mw = 0; mw < M; ++mw) {
          const size_t y0 = (bh * M + mh) * P, x0 = (bw * M + mw) * P;
          for (size_t c = 0; c < 3; ++c) {
            float* first = v + c * T * frame;
            for (size_t py = 0; py < P; ++py)
              std::copy_n(&planes[c * plane + (y0 + py) * width + x0], P, first + py * P);
            for (size_t t = 1; t < T; ++t) std::copy_n(first, frame, first + t * frame);
          }
          v += dim;
        }
  CS_ASSERT(v == out.data() + out.size(), "Qwen2-VL patches do not fill the output");
  return out;
}

namespace {

/// A processor config's keys with transformers' defaults where left out (or null);
/// anything it cannot follow is an Error naming the file and the key.
struct ConfigKeys {
  const nlohmann::json& j;
  const std::string& source;

  [[noreturn]] void fail(const std::string& key, const std::string& message) const {
    throw Error(SourceLocation{source}, key, message);
  }
  bool has(const char* key) const { return j.contains(key) && !j.at(key).is_null(); }
  template <class T>
  T get(const char* key, T fallback) const {
    if (!has(key)) return fallback;
    try {
      return j.at(key).get<T>();
    } catch (const nlohmann::json::exception&) {
      fail(key, "has the wrong type: " + j.at(key).dump());
    }
  }
  int positive(const char* key, int fallback) const {
    const int value = get(key, fallback);
    if (value <= 0) fail(key, "is " + std::to_string(value) + ": it must be positive");
    return value;
  }
};

/// CLIPImageProcessor's keys (its defaults where left out).
void parse_clip(const ConfigKeys& k, ImageProcessor& p) {
  p.shortest_edge = 224;
  if (k.has("size")) {
    const auto& size = k.j.at("size");
    if (size.is_number_integer())
      p.shortest_edge = size.get<int>();
    else if (size.is_object() && size.contains("shortest_edge") && size["shortest_edge"].is_number_integer())
      p.shortest_edge = size["shortest_edge"].get<int>();
    else
      k.fail("size", "is " + size.dump() + ": clear-sweep resizes by shortest_edge only");
  }
  p.crop_height = p.crop_width = 224;
  if (k.has("crop_size")) {
    const auto& crop = k.j.at("crop_size");
    if (crop.is_number_integer())
      p.crop_height = p.crop_width = crop.get<int>();
    else if (crop.is_object() && crop.contains("height") && crop["height"].is_number_integer() &&
             crop.contains("width") && crop["width"].is_number_integer())
      p.crop_height = crop["height"].get<int>(), p.crop_width = crop["width"].get<int>();
    else
      k.fail("crop_size", "is " + crop.dump() + ": expected {\"height\": H, \"width\": W}");
  }
  if (p.shortest_edge <= 0 || p.crop_height <= 0 || p.crop_width <= 0) k.fail("size", "must be positive");
  if (!k.get("do_center_crop", true))
    k.fail("do_center_crop", "is false: the tower takes one fixed size, so clear-sweep needs the crop");
}

/// Qwen2VLImageProcessor's keys (its defaults where left out). min_pixels and max_pixels
/// come in three layouts: top-level keys (the hub's Qwen2-VL and Qwen2.5-VL folders),
/// size {"shortest_edge", "longest_edge"} (what transformers 5 writes) and size
/// {"min_pixels", "max_pixels"} (some hub folders, written by an older transformers beside
/// the top-level keys). Top-level keys win over size, as transformers 5's __init__ lets them;
/// size's shortest_edge / longest_edge win over its min_pixels / max_pixels. (A size
/// {"min_pixels", "max_pixels"} alone is read here; transformers 5.24 refuses it when
/// called, asking for shortest_edge and longest_edge.)
void parse_qwen2_vl(const ConfigKeys& k, ImageProcessor& p) {
  p.shortest_edge = p.crop_height = p.crop_width = 0;
  p.patch_size = k.positive("patch_size", 14);
  p.temporal_patch_size = k.positive("temporal_patch_size", 2);
  p.merge_size = k.positive("merge_size", 2);
  struct Bound {
    int64_t value;
    std::string key;  ///< where it was read from, for the error
  };
  Bound lo{56 * 56, "min_pixels"}, hi{28 * 28 * 1280, "max_pixels"};
  if (k.has("size")) {
    const auto& size = k.j.at("size");
    const std::string expected = R"(: expected {"shortest_edge": min_pixels, "longest_edge": max_pixels})";
    if (!size.is_object()) k.fail("size", "is " + size.dump() + expected);
    struct Name {
      const char* key;
      bool low;  ///< the floor (min_pixels), else the ceiling
    };
    bool has_lo = false, has_hi = false;
    // The older names first: transformers 5's win where both are given.
    for (const Name name : {Name{"min_pixels", true}, Name{"max_pixels", false}, Name{"shortest_edge", true},
                            Name{"longest_edge", false}}) {
      if (!size.contains(name.key)) continue;
      const auto& value = size[name.key];
      if (!value.is_number_integer()) k.fail("size", std::string(name.key) + " is " + value.dump() + expected);
      (name.low ? lo : hi) = Bound{value.get<int64_t>(), std::string("size.") + name.key};
      (name.low ? has_lo : has_hi) = true;
    }
    for (const auto& item : size.items())
      if (item.key() != "min_pixels" && item.key() != "max_pixels" && item.key() != "shortest_edge" &&
          item.key() != "longest_edge")
        k.fail("size", "has '" + item.key() + "'" + expected);
    if (!has_lo && !k.has("min_pixels")) k.fail("size", "is " + size.dump() + " without shortest_edge" + expected);
    if (!has_hi && !k.has("max_pixels")) k.fail("size", "is " + size.dump() + " without longest_edge" + expected);
  }
  if (k.has("min_pixels")) lo = Bound{k.get<int64_t>("min_pixels", 0), "min_pixels"};
  if (k.has("max_pixels")) hi = Bound{k.get<int64_t>("max_pixels", 0), "max_pixels"};
  for (const Bound& b : {lo, hi})
    if (b.value <= 0) k.fail(b.key, "is " + std::to_string(b.value) + ": it must be positive");
  p.min_pixels = lo.value;
  p.max_pixels = hi.value;
}

/// LlavaNextImageProcessor's keys (its defaults where left out: size shortest_edge 224,
/// crop 224, the published pinpoints). What transformers runs but the model cannot take,
/// or that would give crops of different sizes, is refused: pinpoints must be multiples
/// of the crop side (transformers cuts partial tiles there, while LlavaNextProcessor and
/// the model count pinpoint // crop tiles), the crop square (the tiles are), and without
/// do_center_crop the base size must already be the crop's.
void parse_llava_next(const ConfigKeys& k, ImageProcessor& p) {
  p.shortest_edge = 224;
  p.base_height = p.base_width = 0;
  if (k.has("size")) {
    const auto& size = k.j.at("size");
    const auto integer = [&](const char* key) { return size.contains(key) && size[key].is_number_integer(); };
    if (size.is_number_integer())
      p.shortest_edge = size.get<int>();
    else if (size.is_object() && size.size() == 1 && integer("shortest_edge"))
      p.shortest_edge = size["shortest_edge"].get<int>();
    else if (size.is_object() && size.size() == 2 && integer("height") && integer("width")) {
      p.shortest_edge = 0;
      p.base_height = size["height"].get<int>();
      p.base_width = size["width"].get<int>();
      if (p.base_height <= 0 || p.base_width <= 0) k.fail("size", "is " + size.dump() + ": it must be positive");
    } else
      k.fail("size", "is " + size.dump() + R"(: expected {"shortest_edge": S} or {"height": H, "width": W})");
    if (p.shortest_edge < 0 || (p.shortest_edge == 0 && p.base_height == 0))
      k.fail("size", "is " + size.dump() + ": it must be positive");
  }
  int crop = 224;
  if (k.has("crop_size")) {
    const auto& value = k.j.at("crop_size");
    if (value.is_number_integer())
      crop = value.get<int>();
    else if (value.is_object() && value.contains("height") && value["height"].is_number_integer() &&
             value.contains("width") && value["width"].is_number_integer()) {
      crop = value["height"].get<int>();
      if (value["width"].get<int>() != crop)
        k.fail("crop_size", "is " + value.dump() +
                                ": LLaVA-NeXT's tiles are crop_size.height square, so clear-sweep "
                                "needs height == width");
    } else
      k.fail("crop_size", "is " + value.dump() + R"(: expected {"height": C, "width": C})");
    if (crop <= 0) k.fail("crop_size", "is " + value.dump() + ": it must be positive");
  }
  p.crop_height = p.crop_width = crop;
  p.do_center_crop = k.get("do_center_crop", true);
  p.do_pad = k.get("do_pad", true);
  if (k.has("image_grid_pinpoints")) {
    const auto& points = k.j.at("image_grid_pinpoints");
    const std::string expected = ": expected a list of [height, width] pairs";
    if (!points.is_array() || points.empty()) k.fail("image_grid_pinpoints", "is " + points.dump() + expected);
    p.grid_pinpoints.clear();
    for (const auto& point : points) {
      if (!point.is_array() || point.size() != 2 || !point[0].is_number_integer() || !point[1].is_number_integer())
        k.fail("image_grid_pinpoints", "has " + point.dump() + expected);
      const int64_t h = point[0].get<int64_t>(), w = point[1].get<int64_t>();
      if (h <= 0 || w <= 0 || h > (1 << 20) || w > (1 << 20))
        k.fail("image_grid_pinpoints", "has " + point.dump() + ": each side must be in [1, 2^20]");
      p.grid_pinpoints.emplace_back(int(h), int(w));
    }
  }
  for (const auto& [h, w] : p.grid_pinpoints)
    if (h % crop != 0 || w % crop != 0)
      k.fail("image_grid_pinpoints",
             "has [" + std::to_string(h) + ", " + std::to_string(w) + "], not a multiple of the crop side " +
                 std::to_string(crop) +
                 ": transformers cuts partial tiles there, which LlavaNextProcessor and the model do not count");
  const auto base = llava_next_base(p);
  if (!p.do_center_crop && (base.first != crop || base.second != crop))
    k.fail("do_center_crop", "is false, but the base size " + size_text(base.first, base.second) +
                                 " is not the crop's " + std::to_string(crop) +
                                 ": the base and the tiles would come out of different sizes");
}

/// Idefics2ImageProcessor's keys (its defaults where left out: size shortest_edge 378 and
/// longest_edge 980, no splitting). size is {shortest_edge, longest_edge} (the resize that
/// keeps the aspect) or {height, width} (a fixed size), the two its resize follows; any
/// other is refused, as transformers fails on it when called. do_pad is read and not
/// needed (operator() packs each crop's own patches).
void parse_idefics2(const ConfigKeys& k, ImageProcessor& p) {
  p.shortest_edge = 378;
  p.longest_edge = 980;
  p.base_height = p.base_width = 0;
  p.crop_height = p.crop_width = 0;
  if (k.has("size")) {
    const auto& size = k.j.at("size");
    const std::string expected = R"(: expected {"shortest_edge": S, "longest_edge": L} or {"height": H, "width": W})";
    const auto positive = [&](const char* key) {
      if (!size.contains(key) || !size[key].is_number_integer()) return false;
      const int64_t v = size[key].get<int64_t>();
      if (v <= 0 || v > (1 << 20)) k.fail("size", "is " + size.dump() + ": each value must be in [1, 2^20]");
      return true;
    };
    if (size.is_object() && size.size() == 2 && positive("shortest_edge") && positive("longest_edge")) {
      p.shortest_edge = size["shortest_edge"].get<int>();
      p.longest_edge = size["longest_edge"].get<int>();
    } else if (size.is_object() && size.size() == 2 && positive("height") && positive("width")) {
      p.shortest_edge = p.longest_edge = 0;
      p.base_height = size["height"].get<int>();
      p.base_width = size["width"].get<int>();
    } else
      k.fail("size", "is " + size.dump() + expected);
  }
  p.do_image_splitting = k.get("do_image_splitting", false);
  p.do_pad = k.get("do_pad", true);
}

}  // namespace

ImageProcessor ImageProcessor::parse(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or a number that overflows
    throw Error(SourceLocation{source}, "json", std::string("not JSON: ") + e.what());
  }
  const ConfigKeys k{j, source};
  if (!j.is_object()) k.fail("json", "is not an object: " + j.dump());
  ImageProcessor p;
  // CLIPImageProcessor where the type is left out (llava-1.5's older folders).
  const std::string type = k.get("image_processor_type", std::string("CLIPImageProcessor"));
  if (type == "Qwen2VLImageProcessor" || type == "Qwen2VLImageProcessorFast" || type == "Qwen2VLImageProcessorPil")
    p.kind = Kind::qwen2_vl;
  else if (type == "LlavaNextImageProcessor" || type == "LlavaNextImageProcessorFast" ||
           type == "LlavaNextImageProcessorPil")
    p.kind = Kind::llava_next;
  else if (type == "Idefics2ImageProcessor" || type == "Idefics2ImageProcessorFast" ||
           type == "Idefics2ImageProcessorPil")
    p.kind = Kind::idefics2;
  else if (type.rfind("CLIPImageProcessor", 0) == 0)
    p.kind = Kind::clip;
  else
    k.fail("image_processor_type", "is '" + type +
                                       "': clear-sweep follows CLIPImageProcessor, Qwen2VLImageProcessor, "
                                       "LlavaNextImageProcessor and Idefics2ImageProcessor only");
  // The keys every kind shares; Idefics2's filter and statistics differ from the others'.
  if (p.kind == Kind::idefics2) {
    if (k.get("resample", 2) != 2)
      k.fail("resample",
             "is not 2 (bilinear), Idefics2ImageProcessor's and the only filter clear-sweep implements "
             "for it");
    p.norm = kStandardPixelNorm;
  } else if (k.get("resample", 3) != 3)
    k.fail("resample", "is not 3 (bicubic), the only filter clear-sweep implements");
  if (!k.get("do_convert_rgb", true)) k.fail("do_convert_rgb", "is false: images are read as RGB");
  p.do_resize = k.get("do_resize", true);
  p.do_rescale = k.get("do_rescale", true);
  p.do_normalize = k.get("do_normalize", true);
  p.rescale_factor = k.get("rescale_factor", 1.0 / 255.0);
  for (const char* key : {"image_mean", "image_std"}) {
    if (!k.has(key)) continue;
    const auto& v = j.at(key);
    if (!v.is_array() || v.size() != 3 || !std::all_of(v.begin(), v.end(), [](const auto& x) { return x.is_number(); }))
      k.fail(key, "is " + v.dump() + ": it must list 3 numbers (R, G, B)");
    for (size_t c = 0; c < 3; ++c) (std::string(key) == "image_mean" ? p.norm.mean : p.norm.std)[c] = v[c].get<float>();
  }
  if (p.kind == Kind::clip)
    parse_clip(k, p);
  else if (p.kind == Kind::qwen2_vl)
    parse_qwen2_vl(k, p);
  else if (p.kind == Kind::idefics2)
    parse_idefics2(k, p);
  else
    parse_llava_next(k, p);
  return p;
}

ImageProcessor load_image_processor(const std::string& dir, int image_size, bool stretch_if_missing) {
  const auto read = [](const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(SourceLocation{path.string()}, "file", "cannot open the file");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  };
  // transformers' order: a processor's nested settings first, then the file of its own.
  std::string text, source;
  const std::filesystem::path processor = std::filesystem::path(dir) / kProcessorConfigFile;
  if (std::filesystem::exists(processor)) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read(processor));
    } catch (const nlohmann::json::exception& e) {  // parse_error, or a number that overflows
      throw Error(SourceLocation{processor.string()}, "json", std::string("not JSON: ") + e.what());
    }
    if (j.is_object() && j.contains("image_processor") && !j["image_processor"].is_null()) {
      if (!j["image_processor"].is_object())
        throw Error(SourceLocation{processor.string()}, "image_processor",
                    "is not an object: " + j["image_processor"].dump());
      text = j["image_processor"].dump();
      source = processor.string() + " (image_processor)";
    }
  }
  const std::filesystem::path preprocessor = std::filesystem::path(dir) / kPreprocessorConfigFile;
  if (source.empty() && std::filesystem::exists(preprocessor)) {
    text = read(preprocessor);
    source = preprocessor.string();
  }
  if (source.empty()) {
    if (stretch_if_missing) return ImageProcessor::stretch(image_size);
    throw Error(SourceLocation{dir}, "image processor",
                std::string("the model folder has no image processor settings: looked for ") + kProcessorConfigFile +
                    " (its image_processor) and " + kPreprocessorConfigFile,
                "save the processor beside the model (processor.save_pretrained(folder)); clear-sweep never guesses "
                "how a real model's images are sized");
  }
  ImageProcessor p = ImageProcessor::parse(text, source);
  // qwen2_vl's and idefics2's size follows each image; llava_next's crop is its family's to check.
  if (p.kind == ImageProcessor::Kind::qwen2_vl || p.kind == ImageProcessor::Kind::llava_next ||
      p.kind == ImageProcessor::Kind::idefics2)
    return p;
  if (p.crop_height != image_size || p.crop_width != image_size)
    throw Error(SourceLocation{source}, "crop_size",
                "gives " + std::to_string(p.crop_height) + " x " + std::to_string(p.crop_width) +
                    " images, but the vision tower takes " + std::to_string(image_size) + " x " +
                    std::to_string(image_size));
  return p;
}

int64_t int_round7(double x) {
  // Rounded to 7 decimals as a correctly rounded decimal (glibc's printf rounds the exact
  // binary value, as Python's round does), then truncated.
  char text[64];
  std::snprintf(text, sizeof text, "%.7f", x);
  return int64_t(std::strtod(text, nullptr));
}

}  // namespace clear_sweep
