#include "sweep/toml_reader.h"

#include <cmath>

#include "common/number_format.h"
#include "common/suggest.h"
#include "sweep/method_catalog.h"

namespace clear_sweep {

std::string toml_type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

std::optional<double> toml_number(const toml::node& node) {
  if (const auto* i = node.as_integer()) return static_cast<double>(i->get());
  if (const auto* f = node.as_floating_point()) return f->get();
  return std::nullopt;
}

const HParamDecl& shared_hparam_decl(const TomlTable& t, const SourceLocation& where, const std::string& key,
                                     const std::vector<std::string>& owners, const std::string& section) {
  const HParamDecl& decl = *method_hparam(*method_find(owners.front()), key);
  for (const auto& owner : owners) {
    const HParamDecl& other = *method_hparam(*method_find(owner), key);
    if (other.type != decl.type || other.range.text() != decl.range.text())
      t.fail(where, t.key_path(key), "'" + key + "' means different things for " + owners.front() + " and " + owner,
             "give it per method, under [" + section + "." + owners.front() + "] and [" + section + "." + owner + "]");
  }
  return decl;
}

std::string TomlTable::key_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

SourceLocation TomlTable::locate(const toml::node& node) const {
  const auto& begin = node.source().begin;
  return {file_, begin.line, begin.column};
}

SourceLocation TomlTable::locate_key(std::string_view key) const {
  for (auto&& [k, v] : table_)
    if (k.str() == key) return {file_, k.source().begin.line, k.source().begin.column};
  return where();
}

void TomlTable::fail(const SourceLocation& where, const std::string& key, const std::string& message,
                     const std::string& hint) const {
  throw Error(where, key, message, hint);
}

void TomlTable::expect_keys(const std::vector<std::string>& known) const {
  for (auto&& [k, v] : table_) {
    const std::string key(k.str());
    bool found = false;
    for (const auto& name : known) found = found || name == key;
    if (found) continue;
    const std::string guess = suggest_name(key, known);
    const std::string where_text = path_.empty() ? "at the top level" : "in [" + path_ + "]";
    std::string hint = guess.empty() ? std::string() : "did you mean '" + guess + "'? ";
    hint += known.empty() ? "this table takes no keys" : "known keys " + where_text + ": " + join(known);
    fail({file_, k.source().begin.line, k.source().begin.column}, key_path(key), "unknown key", hint);
  }
}

std::optional<int64_t> TomlTable::integer(std::string_view key, const HParamRange& range) const {
  const toml::node* node = find(key);
  if (!node) return std::nullopt;
  const auto* value = node->as_integer();
  if (!value) fail(locate(*node), key_path(key), "expected an integer, got " + toml_type_name(*node));
  if (!range.contains(static_cast<double>(value->get())))
    fail(locate(*node), key_path(key), std::to_string(value->get()) + " is outside the valid range " + range.text());
  return value->get();
}

std::optional<double> TomlTable::number(std::string_view key, const HParamRange& range) const {
  const toml::node* node = find(key);
  if (!node) return std::nullopt;
  const auto value = toml_number(*node);
  if (!value) fail(locate(*node), key_path(key), "expected a number, got " + toml_type_name(*node));
  if (!std::isfinite(*value)) fail(locate(*node), key_path(key), "must be a finite number");
  if (!range.contains(*value))
    fail(locate(*node), key_path(key), format_number(*value) + " is outside the valid range " + range.text());
  return value;
}

std::optional<std::string> TomlTable::string(std::string_view key) const {
  const toml::node* node = find(key);
  if (!node) return std::nullopt;
  const auto* value = node->as_string();
  if (!value) fail(locate(*node), key_path(key), "expected a string, got " + toml_type_name(*node));
  return std::string(value->get());
}

std::optional<bool> TomlTable::boolean(std::string_view key) const {
  const toml::node* node = find(key);
  if (!node) return std::nullopt;
  const auto* value = node->as_boolean();
  if (!value) fail(locate(*node), key_path(key), "expected true or false, got " + toml_type_name(*node));
  return value->get();
}

std::optional<std::string> TomlTable::choice(std::string_view key, const std::vector<std::string>& choices) const {
  auto value = string(key);
  if (!value) return value;
  for (const auto& c : choices)
    if (c == *value) return value;
  const std::string guess = suggest_name(*value, choices);
  fail(locate(*find(key)), key_path(key), "'" + *value + "' is not a valid choice",
       (guess.empty() ? std::string() : "did you mean '" + guess + "'? ") + "one of: " + join(choices));
}

std::optional<TomlTable> TomlTable::table(std::string_view key) const {
  const toml::node* node = find(key);
  if (!node) return std::nullopt;
  const auto* t = node->as_table();
  if (!t)
    fail(locate(*node), key_path(key), "expected a table, got " + toml_type_name(*node),
         "write it as a [" + key_path(key) + "] section");
  return TomlTable(*t, key_path(key), file_);
}

std::vector<const toml::node*> TomlTable::axis(std::string_view key) const {
  const toml::node* node = find(key);
  CS_ASSERT(node != nullptr, "axis() called for a missing key");
  std::vector<const toml::node*> values;
  if (const auto* array = node->as_array()) {
    for (const auto& element : *array) values.push_back(&element);
    if (values.empty()) fail(locate(*node), key_path(key), "empty axis", "give at least one value");
  } else if (node->is_table()) {
    fail(locate(*node), key_path(key), "expected an array of values, got a table");
  } else {
    values.push_back(node);  // `seed = 0` is the one-value axis [0]
  }
  return values;
}

}  // namespace clear_sweep
