// The image processor for the reference test (test_clip_processor.py):
//   image_preprocess_dump PREPROCESSOR_CONFIG.json IMAGE OUT_PREFIX
// writes OUT_PREFIX.u8 (the resized, center-cropped RGB bytes, H x W x 3) and
// OUT_PREFIX.f32 (the model input, 3 x H x W float32, channel-major).
#include <cstdio>
#include <fstream>
#include <sstream>

#include "data/image_processor.h"

using namespace clear_sweep;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: image_preprocess_dump PREPROCESSOR_CONFIG.json IMAGE OUT_PREFIX\n");
    return 2;
  }
  try {
    std::ifstream config(argv[1]);
    std::ostringstream text;
    text << config.rdbuf();
    const ImageProcessor processor = ImageProcessor::parse(text.str(), argv[1]);
    const Image image = read_image(argv[2]);
    const Image crop = clip_resize_and_crop(image, processor);
    std::ofstream(std::string(argv[3]) + ".u8", std::ios::binary)
        .write(reinterpret_cast<const char*>(crop.rgb.data()), std::streamsize(crop.rgb.size()));
    const std::vector<float> input = processor(image);
    std::ofstream(std::string(argv[3]) + ".f32", std::ios::binary)
        .write(reinterpret_cast<const char*>(input.data()), std::streamsize(input.size() * sizeof(float)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "image_preprocess_dump: %s\n", e.what());
    return 1;
  }
  return 0;
}
