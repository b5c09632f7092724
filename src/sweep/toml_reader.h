// A checked view of one TOML table, private to sweep_parse.cpp.
//
// Every read names the key; every failure names the file, line, column and dotted key
// path. A table's keys are declared up front (expect_keys), so a typo is reported as an
// unknown key with a suggestion instead of being silently ignored.
#pragma once

#include <toml++/toml.h>

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "sweep/hparam.h"

namespace clear_sweep {

class TomlTable {
 public:
  TomlTable(const toml::table& table, std::string path, std::string file)
      : table_(table), path_(std::move(path)), file_(std::move(file)) {}

  /// Throws at the first key not in `known`, with a did-you-mean and the known list.
  void expect_keys(const std::vector<std::string>& known) const;

  const toml::node* find(std::string_view key) const { return table_.get(key); }
  bool has(std::string_view key) const { return find(key) != nullptr; }

  /// Missing key -> nullopt; wrong type or out of range -> Error.
  std::optional<int64_t> integer(std::string_view key, const HParamRange& range) const;
  std::optional<double> number(std::string_view key, const HParamRange& range) const;
  std::optional<std::string> string(std::string_view key) const;
  std::optional<bool> boolean(std::string_view key) const;
  /// A string that must be one of `choices`.
  std::optional<std::string> choice(std::string_view key, const std::vector<std::string>& choices) const;
  std::optional<TomlTable> table(std::string_view key) const;

  /// An axis: an array of values (or one scalar, taken as a one-value axis). Never empty.
  std::vector<const toml::node*> axis(std::string_view key) const;

  std::string key_path(std::string_view key) const;  ///< "grid.hparams.lr"
  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }
  const toml::table& raw() const { return table_; }

  SourceLocation where() const { return locate(table_); }
  SourceLocation locate(const toml::node& node) const;
  SourceLocation locate_key(std::string_view key) const;

  [[noreturn]] void fail(const SourceLocation& where, const std::string& key, const std::string& message,
                         const std::string& hint = {}) const;

 private:
  const toml::table& table_;
  std::string path_;
  std::string file_;
};

/// The one declaration `key` has for every method in `owners` (those that declare it),
/// for a hyperparameter given once for all of them under the table [`section`]; fails
/// at `where` when two of them declare it differently.
const HParamDecl& shared_hparam_decl(const TomlTable& t, const SourceLocation& where, const std::string& key,
                                     const std::vector<std::string>& owners, const std::string& section);

/// "integer", "string", "array", ...: for "expected X, got Y" messages.
std::string toml_type_name(const toml::node& node);

/// A number node (integer or float) as a double; nullopt for any other type.
std::optional<double> toml_number(const toml::node& node);

}  // namespace clear_sweep
