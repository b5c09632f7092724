#include "model/safetensors_header.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace clear_sweep {

int64_t safetensors_dtype_bytes(const std::string& dtype) {
  static const std::map<std::string, int64_t> bytes{{"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8},
                                                    {"I32", 4}, {"I16", 2}, {"I8", 1},  {"U8", 1},   {"BOOL", 1}};
  const auto it = bytes.find(dtype);
  return it == bytes.end() ? 0 : it->second;
}

SafetensorsHeader parse_safetensors_header(const std::string& json, uint64_t data_size, const std::string& path) {
  auto fail = [&](const std::string& message, const std::string& hint = {}) {
    throw Error(SourceLocation{path}, "safetensors", message, hint);
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or a number that overflows
    fail(std::string("header is not JSON: ") + e.what());
  }
  if (!j.is_object()) fail("header is not a JSON object");
  SafetensorsHeader h;
  for (const auto& [name, value] : j.items()) {
    if (name == "__metadata__") {
      if (value.is_object())
        for (const auto& [k, v] : value.items()) h.metadata[k] = v.is_string() ? v.get<std::string>() : v.dump();
      continue;
    }
    SafetensorsEntry e;
    e.name = name;
    // Every number is checked to be a JSON integer first: nlohmann converts 1e40 to an
    // integer type with undefined behaviour (found by fuzz/fuzz_safetensors).
    const auto dtype = value.is_object() ? value.find("dtype") : value.end();
    const auto shape = value.is_object() ? value.find("shape") : value.end();
    const auto offsets = value.is_object() ? value.find("data_offsets") : value.end();
    if (dtype == value.end() || shape == value.end() || offsets == value.end() || !dtype->is_string() ||
        !shape->is_array() || !offsets->is_array())
      fail("tensor '" + name + "': needs dtype, shape and data_offsets");
    e.dtype = dtype->get<std::string>();
    for (const auto& d : *shape) {
      if (!d.is_number_integer()) fail("tensor '" + name + "': a dimension of its shape is " + d.dump());
      if (d.is_number_unsigned() && d.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
        fail("tensor '" + name + "': its shape overflows");
      e.shape.push_back(d.get<int64_t>());
    }
    if (offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned())
      fail("tensor '" + name + "': data_offsets must be [begin, end], two non-negative integers");
    e.begin = (*offsets)[0].get<uint64_t>();
    e.end = (*offsets)[1].get<uint64_t>();
    const int64_t element_bytes = safetensors_dtype_bytes(e.dtype);
    if (!element_bytes) fail("tensor '" + name + "': unsupported dtype " + e.dtype);
    // The size in bytes, refusing a product that overflows (a crafted shape could
    // otherwise wrap around to the span's length).
    uint64_t bytes = uint64_t(element_bytes);
    for (int64_t s : e.shape) {
      if (s < 0) fail("tensor '" + name + "': negative dimension");
      if (__builtin_mul_overflow(bytes, uint64_t(s), &bytes)) fail("tensor '" + name + "': its shape overflows");
    }
    if (e.begin > e.end || e.end > data_size)
      fail("tensor '" + name + "': data_offsets outside the file", "the file may be truncated");
    if (e.end - e.begin != bytes)
      fail("tensor '" + name + "': " + std::to_string(e.end - e.begin) + " bytes for a shape of " +
           std::to_string(bytes) + " bytes of " + e.dtype);
    h.entries.push_back(std::move(e));
  }
  return h;
}

}  // namespace clear_sweep
