// A model folder's config.json, as the LLaVA, Qwen2-VL and Idefics2 families read it (Hugging
// Face's layouts, or ours).
#include "fuzz_support.h"
#include "model/config_reader.h"
#include "model/idefics2/idefics2_config.h"
#include "model/llava/llava_config.h"
#include "model/qwen2_vl/qwen2_vl_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  clear_sweep::fuzz::expect_clear_error([&] {
    clear_sweep::llava_config_parse(clear_sweep::config_json_parse(text, "fuzz/config.json"), "fuzz/config.json");
  });
  clear_sweep::fuzz::expect_clear_error([&] {
    clear_sweep::qwen2_vl_config_parse(clear_sweep::config_json_parse(text, "fuzz/config.json"), "fuzz/config.json");
  });
  clear_sweep::fuzz::expect_clear_error([&] {
    clear_sweep::idefics2_config_parse(clear_sweep::config_json_parse(text, "fuzz/config.json"), "fuzz/config.json");
  });
  return 0;
}
