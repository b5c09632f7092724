// Images as the data layer holds them: 8-bit RGB, row-major, height x width x 3.
// Decoding (PNG, JPEG, ...) and PNG encoding go through stb (Debian's libstb-dev).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace clear_sweep {

struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  ///< height * width * 3 bytes

  Image() = default;
  Image(int w, int h) : width(w), height(h), rgb(size_t(w) * size_t(h) * 3, 0) {}
  uint8_t* at(int x, int y) { return &rgb[(size_t(y) * size_t(width) + size_t(x)) * 3]; }
  const uint8_t* at(int x, int y) const { return &rgb[(size_t(y) * size_t(width) + size_t(x)) * 3]; }
};

/// Decodes PNG / JPEG / BMP / ... bytes into RGB. Throws Error naming `source` and the
/// decoder's reason for anything that is not a whole image.
Image decode_image(const std::string& bytes, const std::string& source);
/// Reads and decodes a file; a missing or unreadable file is an Error naming it.
Image read_image(const std::string& path);

/// PNG bytes of `image`; deterministic (the same pixels give the same bytes).
std::string encode_png(const Image& image);

/// Resamples to width x height (stb's default filters: Mitchell down, cubic up).
Image resize_image(const Image& image, int width, int height);

/// Per-channel normalisation into the model's input: CHW floats, (x / 255 - mean) / std.
struct PixelNorm {
  std::array<float, 3> mean;
  std::array<float, 3> std;
};
/// CLIP's statistics (LLaVA's vision tower), also used by the tiny model.
inline constexpr PixelNorm kClipPixelNorm{{0.48145466f, 0.4578275f, 0.40821073f},
                                          {0.26862954f, 0.26130258f, 0.27577711f}};
/// transformers' IMAGENET_STANDARD_MEAN and _STD (0.5 each): Idefics2's statistics.
inline constexpr PixelNorm kStandardPixelNorm{{0.5f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.5f}};

/// Resizes to size x size (square, as CLIP-style encoders take) and normalises: returns
/// 3 * size * size floats in channel-major order.
std::vector<float> image_to_input(const Image& image, int size, const PixelNorm& norm = kClipPixelNorm);

}  // namespace clear_sweep
