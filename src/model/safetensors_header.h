// The JSON header of a safetensors file, checked against the bytes after it. Torch-free,
// so the fuzzer (fuzz/) runs it without libtorch.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace clear_sweep {

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  ///< "F32", "BF16", "F16", "I64", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  ///< byte range after the header
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> entries;  ///< in the header's order
  std::map<std::string, std::string> metadata;
};

/// Bytes per element of a safetensors dtype name; 0 for one we do not read.
int64_t safetensors_dtype_bytes(const std::string& dtype);

/// Parses `json` (the header) of a file with `data_size` bytes of tensor data: every
/// tensor needs a known dtype, a shape of non-negative dimensions and data_offsets inside
/// the data whose length is the shape's size. Error naming `path` otherwise.
SafetensorsHeader parse_safetensors_header(const std::string& json, uint64_t data_size, const std::string& path);

}  // namespace clear_sweep
