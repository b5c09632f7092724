#include "data/image.h"

#include <stb_image.h>
#include <stb_image_resize.h>
#include <stb_image_write.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>

#include "common/error.h"

namespace clear_sweep {
namespace {

/// The most pixels an image may have (8192 x 8192): CLEAR's are about 1024 x 1024, and a
/// forged header must not make us allocate gigabytes.
constexpr int64_t kMaxPixels = int64_t(1) << 26;

/// Debian's stb_image (2.27) builds a JPEG Huffman table of as many codes as its DHT
/// segment claims, up to 4080, into 256 entries: a heap overflow on a crafted file
/// (found by fuzz/fuzz_image; stb 2.28 checks it). So every DHT segment is checked here
/// first, those between the scans of a progressive JPEG included. Returns the problem,
/// or "" when every table is sound or the bytes are not a JPEG.
std::string jpeg_huffman_problem(const std::string& bytes) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  // The start-of-image marker, after any fill bytes (stb skips them too).
  size_t at = 0;
  while (at < n && b[at] == 0xFF) ++at;
  if (at == 0 || at >= n || b[at] != 0xD8) return "";
  ++at;
  while (at + 4 <= n) {
    if (b[at] != 0xFF) {  // entropy-coded data of a scan: skip to the next marker
      ++at;
      continue;
    }
    const unsigned char marker = b[at + 1];
    // Fill bytes, stuffed zeros and restart markers carry no segment.
    if (marker == 0xFF || marker == 0x00 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0xD8) {
      at += marker == 0xFF ? 1 : 2;
      continue;
    }
    if (marker == 0xD9) return "";  // end of image
    const size_t length = size_t(b[at + 2]) << 8 | b[at + 3];
    if (length < 2) return "a JPEG segment shorter than its length field";
    const size_t end = std::min(n, at + 2 + length);
    if (marker == 0xC4) {
      // stb reads a table's 16 counts whatever the segment's length says, and zeros past
      // the end of the file.
      for (size_t t = at + 4; t < end;) {
        size_t codes = 0;
        for (size_t i = 1; i <= 16 && t + i < n; ++i) codes += b[t + i];
        if (codes > 256) return "a JPEG Huffman table of " + std::to_string(codes) + " codes (at most 256)";
        t += 17 + codes;
      }
    }
    at = end;
  }
  return "";
}

/// stb_image allocates a PNG chunk's declared length before it checks that the bytes are
/// there: a 40-byte file can ask for 2 GiB (found by fuzz/fuzz_image). Every chunk must
/// fit in the file. Returns the problem, or "" when they do or the bytes are not a PNG.
std::string png_chunk_problem(const std::string& bytes) {
  static const char kSignature[] = "\x89PNG\r\n\x1a\n";
  if (bytes.size() < 8 || bytes.compare(0, 8, kSignature, 8) != 0) return "";
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t at = 8;
  while (at + 8 <= bytes.size()) {
    const uint64_t length = uint64_t(b[at]) << 24 | uint64_t(b[at + 1]) << 16 | uint64_t(b[at + 2]) << 8 | b[at + 3];
    if (length > bytes.size() - at - 8)
      return "a PNG chunk of " + std::to_string(length) + " bytes runs past the end of the file";
    if (bytes.compare(at + 4, 4, "IEND") == 0) return "";
    at += 12 + length;  // length, type, data, CRC
  }
  return "";
}

}  // namespace

Image decode_image(const std::string& bytes, const std::string& source) {
  if (bytes.empty()) throw Error(SourceLocation{source}, "image", "the file is empty", "expected a PNG or JPEG image");
  auto unreadable = [&](const std::string& why) {
    return Error(SourceLocation{source}, "image", "not a readable image: " + why,
                 "expected a whole PNG or JPEG file; re-export or regenerate the dataset");
  };
  if (bytes.size() > size_t(std::numeric_limits<int>::max())) throw unreadable("over 2 GiB");
  for (const std::string& problem : {jpeg_huffman_problem(bytes), png_chunk_problem(bytes)})
    if (!problem.empty()) throw unreadable(problem);
  int w = 0, h = 0, channels = 0;
  if (stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), int(bytes.size()), &w, &h, &channels) &&
      int64_t(w) * int64_t(h) > kMaxPixels)
    throw Error(SourceLocation{source}, "image",
                std::to_string(w) + " x " + std::to_string(h) + " pixels, more than clear-sweep reads (" +
                    std::to_string(kMaxPixels >> 20) + " megapixels)",
                "resize the image");
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), int(bytes.size()), &w, &h, &channels, 3),
      stbi_image_free);
  if (!pixels) throw unreadable(stbi_failure_reason());
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
