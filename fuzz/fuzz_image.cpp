// PNG and JPEG (and whatever else stb_image sniffs) decoding of image bytes.
#include "data/image.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  clear_sweep::fuzz::expect_clear_error([&] {
    const clear_sweep::Image image = clear_sweep::decode_image(bytes, "fuzz.png");
    // A decoded image must be what it says it is.
    if (image.rgb.size() != size_t(image.width) * size_t(image.height) * 3) std::abort();
  });
  return 0;
}
