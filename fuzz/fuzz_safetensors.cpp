// A safetensors file's framing and header: 8 bytes of little-endian header length, the
// JSON header, then the tensor data the header's offsets must stay inside.
#include "fuzz_support.h"
#include "model/safetensors_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | data[i];
  if (header_len > size - 8) return 0;  // SafetensorsFile refuses it before parsing
  const std::string header(reinterpret_cast<const char*>(data) + 8, header_len);
  clear_sweep::fuzz::expect_clear_error([&] {
    const auto parsed = clear_sweep::parse_safetensors_header(header, size - 8 - header_len, "fuzz.safetensors");
    for (const auto& e : parsed.entries)
      if (e.begin > e.end || e.end > size - 8 - header_len) std::abort();  // what reading relies on
  });
  return 0;
}
