// A table of strings written as aligned text, Markdown, CSV or HTML.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace clear_sweep {

struct TextTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

/// The formats write_table knows.
const std::vector<std::string>& table_formats();

/// Writes `table` as `format` (one of table_formats()).
void write_table(const TextTable& table, const std::string& format, std::ostream& out);

}  // namespace clear_sweep
