// The image processor for the reference tests (test_clip_processor.py,
// test_qwen2_vl_processor.py):
//   image_preprocess_dump PREPROCESSOR_CONFIG.json IMAGE OUT_PREFIX
// writes OUT_PREFIX.u8 (the resized RGB bytes before rescaling, H x W x 3: center-cropped
// for clip, smart-resized for qwen2_vl) and OUT_PREFIX.f32 (the model input, float32:
// 3 x H x W channel-major for clip, [patches, dim] for qwen2_vl), and prints one JSON
// line: {"kind", "shape" (output_shape), and for qwen2_vl "grid" [t, h, w] and "tokens"}.
//   image_preprocess_dump PREPROCESSOR_CONFIG.json --sizes H W [H W ...]
// prints one JSON line per size: {"size": [H, W], "resized": [h, w], "grid": [t, h, w],
// "tokens": n}, or {"size": [H, W], "error": key, "message": ...} where it is refused.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "data/image_processor.h"

using namespace clear_sweep;

namespace {

const char* kind_name(ImageProcessor::Kind kind) {
  switch (kind) {
    case ImageProcessor::Kind::stretch:
      return "stretch";
    case ImageProcessor::Kind::clip:
      return "clip";
    case ImageProcessor::Kind::qwen2_vl:
      return "qwen2_vl";
  }
  return "?";
}

nlohmann::json grid_json(const ImageProcessor& p, int height, int width) {
  const ImageProcessor::PatchGrid grid = p.patch_grid(height, width);
  return nlohmann::json{{"grid", {grid.t, grid.h, grid.w}}, {"tokens", p.image_tokens(height, width)}};
}

/// The resized size, grid and tokens of each H W pair, or the error that refuses it.
void sizes(const ImageProcessor& p, int count, char** args) {
  for (int i = 0; i + 1 < count; i += 2) {
    const int height = std::atoi(args[i]), width = std::atoi(args[i + 1]);
    nlohmann::json line{{"size", {height, width}}};
    try {
      const auto [h, w] = p.smart_resize(height, width);
      line["resized"] = {h, w};
      line.update(grid_json(p, height, width));
    } catch (const Error& e) {
      line["error"] = e.key();
      line["message"] = e.message();
    }
    std::printf("%s\n", line.dump().c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: image_preprocess_dump PREPROCESSOR_CONFIG.json IMAGE OUT_PREFIX\n"
                 "       image_preprocess_dump PREPROCESSOR_CONFIG.json --sizes H W [H W ...]\n");
    return 2;
  }
  try {
    std::ifstream config(argv[1]);
    std::ostringstream text;
    text << config.rdbuf();
    const ImageProcessor processor = ImageProcessor::parse(text.str(), argv[1]);
    if (std::string(argv[2]) == "--sizes") {
      sizes(processor, argc - 3, argv + 3);
      return 0;
    }
    const Image image = read_image(argv[2]);
    const bool qwen = processor.kind == ImageProcessor::Kind::qwen2_vl;
    const Image pixels = qwen ? qwen2_vl_resize(image, processor) : clip_resize_and_crop(image, processor);
    std::ofstream(std::string(argv[3]) + ".u8", std::ios::binary)
        .write(reinterpret_cast<const char*>(pixels.rgb.data()), std::streamsize(pixels.rgb.size()));
    const std::vector<float> input = processor(image);
    std::ofstream(std::string(argv[3]) + ".f32", std::ios::binary)
        .write(reinterpret_cast<const char*>(input.data()), std::streamsize(input.size() * sizeof(float)));
    nlohmann::json line{{"kind", kind_name(processor.kind)},
                        {"shape", processor.output_shape(image)},
                        {"resized", {pixels.height, pixels.width}}};
    if (qwen) line.update(grid_json(processor, image.height, image.width));
    std::printf("%s\n", line.dump().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "image_preprocess_dump: %s\n", e.what());
    return 1;
  }
  return 0;
}
