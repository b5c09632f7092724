// A sweep file through TOML parsing and every validation rule.
#include "fuzz_support.h"
#include "sweep/sweep_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  clear_sweep::fuzz::expect_clear_error([&] { clear_sweep::sweep_parse(text, "fuzz.toml"); });
  return 0;
}
