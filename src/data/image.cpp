#include "data/image.h"

#include <stb_image.h>
#include <stb_image_resize.h>
#include <stb_image_write.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "common/error.h"

namespace clear_sweep {

Image decode_image(const std::string& bytes, const std::string& source) {
  if (bytes.empty()) throw Error(SourceLocation{source}, "image", "the file is empty", "expected a PNG or JPEG image");
  int w = 0, h = 0, channels = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), int(bytes.size()), &w, &h, &channels, 3),
      stbi_image_free);
  if (!pixels)
    throw Error(SourceLocation{source}, "image", std::string("not a readable image: ") + stbi_failure_reason(),
                "expected a whole PNG or JPEG file; re-export or regenerate the dataset");
  Image image(w, h);
  std::copy(pixels.get(), pixels.get() + image.rgb.size(), image.rgb.begin());
  return image;
}

Image read_image(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(SourceLocation{path}, "image", "cannot open the image file", "check that the file exists");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return decode_image(bytes.str(), path);
}

std::string encode_png(const Image& image) {
  CS_ASSERT(image.rgb.size() == size_t(image.width) * size_t(image.height) * 3, "image buffer size");
  std::string out;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), size_t(size));
  };
  const int ok = stbi_write_png_to_func(append, &out, image.width, image.height, 3, image.rgb.data(), image.width * 3);
  CS_ASSERT(ok, "stbi_write_png_to_func failed");
  return out;
}

Image resize_image(const Image& image, int width, int height) {
  if (image.width == width && image.height == height) return image;
  Image out(width, height);
  const int ok =
      stbir_resize_uint8(image.rgb.data(), image.width, image.height, 0, out.rgb.data(), width, height, 0, 3);
  CS_ASSERT(ok, "stbir_resize_uint8 failed");
  return out;
}

std::vector<float> image_to_input(const Image& image, int size, const PixelNorm& norm) {
  const Image sized = resize_image(image, size, size);
  const size_t plane = size_t(size) * size_t(size);
  std::vector<float> out(3 * plane);
  for (size_t i = 0; i < plane; ++i)
    for (size_t c = 0; c < 3; ++c)
      out[c * plane + i] = (float(sized.rgb[i * 3 + c]) / 255.0f - norm.mean[c]) / norm.std[c];
  return out;
}

}  // namespace clear_sweep
