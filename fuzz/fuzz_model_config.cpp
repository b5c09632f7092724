// A model folder's config.json (Hugging Face's llava layout, or ours).
#include "fuzz_support.h"
#include "model/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  clear_sweep::fuzz::expect_clear_error([&] { clear_sweep::model_config_parse(text, "fuzz/config.json"); });
  return 0;
}
