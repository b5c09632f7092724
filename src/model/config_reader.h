// Reading a family's config.json: typed lookups with transformers' defaults as
// fallbacks, and checks that a setting has the one value the model implements. Every
// family's config reader (model/<family>/<family>_config.cpp) uses it, so bad input is
// refused the same way everywhere: an Error naming the file and the dotted key.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "common/error.h"

namespace clear_sweep {

/// config.json's text as JSON: Error (key "json") naming `source` when it is not a JSON
/// object.
inline nlohmann::json config_json_parse(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or a number that overflows
    throw Error(SourceLocation{source}, "json", std::string("not JSON: ") + e.what());
  }
  if (!j.is_object()) throw Error(SourceLocation{source}, "json", "not a JSON object");
  return j;
}

class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& root, std::string source) : root_(root), source_(std::move(source)) {}

  /// obj[key] as a T; `fallback` when absent or null. `prefix` ("text_config.") names
  /// the section in errors.
  template <typename T>
  T get(const nlohmann::json& obj, const std::string& prefix, const char* key, T fallback) const {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    T value{};
    if (!convert(*it, value)) fail(prefix + key, "has the wrong type: " + it->dump());
    return value;
  }

  /// obj[key] as a T where null means something of its own (Mistral's sliding_window:
  /// absent, the config class's default; null, no window): `if_absent`, `if_null`, or
  /// the value.
  template <typename T>
  T get_or_null(const nlohmann::json& obj, const std::string& prefix, const char* key, T if_absent, T if_null) const {
    const auto it = obj.find(key);
    if (it == obj.end()) return if_absent;
    if (it->is_null()) return if_null;
    return get(obj, prefix, key, if_absent);
  }

  /// A setting the model implements one way only: absent, null or `supported`.
  template <typename T>
  void require(const nlohmann::json& obj, const std::string& prefix, const char* key, T supported,
               const std::string& why) const {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return;
    T value{};
    const bool same = convert(*it, value) && value == supported;
    if (!same) fail(prefix + key, "is " + it->dump() + ": clear-sweep " + why);
  }

  /// A sub-object of the root (vision_config, text_config); `hint` says what the
  /// family's config.json holds.
  const nlohmann::json& section(const char* key, const std::string& hint) const {
    if (!root_.contains(key) || !root_[key].is_object())
      throw Error(SourceLocation{source_}, key, "missing section", hint);
    return root_[key];
  }

  [[noreturn]] void fail(const std::string& key, const std::string& message) const {
    throw Error(SourceLocation{source_}, key, message);
  }

 private:
  /// `j` as a T, or false. An integer must be a JSON integer within T's range: nlohmann
  /// would convert 1e40 or -1 to an int or size with undefined behaviour (found by
  /// fuzz/fuzz_model_config).
  template <typename T>
  static bool convert(const nlohmann::json& j, T& out) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      if (!j.is_number_integer()) return false;
      if (j.is_number_unsigned()) {
        if (j.get<uint64_t>() > uint64_t(std::numeric_limits<T>::max())) return false;
      } else {
        const int64_t v = j.get<int64_t>();
        if (v < int64_t(std::numeric_limits<T>::min()) ||
            (v > 0 && uint64_t(v) > uint64_t(std::numeric_limits<T>::max())))
          return false;
      }
      out = j.get<T>();
      return true;
    } else {
      try {
        out = j.get<T>();
        return true;
      } catch (const nlohmann::json::exception&) {
        return false;
      }
    }
  }

  const nlohmann::json& root_;
  std::string source_;
};

}  // namespace clear_sweep
