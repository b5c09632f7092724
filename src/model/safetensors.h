// The safetensors format: 8 bytes little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then raw
// little-endian tensor bytes. Reader and writer of our own (no Rust, no Python).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "model/safetensors_header.h"

namespace clear_sweep {

class SafetensorsFile {
 public:
  /// Reads and checks the header (offsets inside the file, sizes matching shapes);
  /// Error naming the file otherwise.
  explicit SafetensorsFile(std::string path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::vector<SafetensorsEntry>& entries() const { return entries_; }
  const SafetensorsEntry* find(const std::string& name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// Reads one tensor (CPU, its stored dtype).
  torch::Tensor read(const SafetensorsEntry& entry) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t data_start_ = 0;
  std::vector<SafetensorsEntry> entries_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

/// Writes tensors (any device; stored as they are) in the given order, atomically
/// (a temporary file renamed into place).
void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

const char* safetensors_dtype(torch::ScalarType type);

}  // namespace clear_sweep
