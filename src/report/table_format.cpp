#include "report/table_format.h"

#include <algorithm>

#include "common/error.h"
#include "common/suggest.h"

namespace clear_sweep {
namespace {

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  return out;
}

}  // namespace

const std::vector<std::string>& table_formats() {
  static const std::vector<std::string> formats{"table", "md", "csv", "html"};
  return formats;
}

void write_table(const TextTable& t, const std::string& format, std::ostream& out) {
  if (format == "csv") {
    auto line = [&](const std::vector<std::string>& cells) {
      for (size_t i = 0; i < cells.size(); ++i) out << (i ? "," : "") << csv_escape(cells[i]);
      out << "\n";
    };
    line(t.header);
    for (const auto& row : t.rows) line(row);
  } else if (format == "md") {
    for (const auto& h : t.header) out << "| " << h << " ";
    out << "|\n";
    for (size_t i = 0; i < t.header.size(); ++i) out << "|---";
    out << "|\n";
    for (const auto& row : t.rows) {
      for (const auto& c : row) out << "| " << c << " ";
      out << "|\n";
    }
  } else if (format == "html") {
    out << "<table>\n<tr>";
    for (const auto& h : t.header) out << "<th>" << html_escape(h) << "</th>";
    out << "</tr>\n";
    for (const auto& row : t.rows) {
      out << "<tr>";
      for (const auto& c : row) out << "<td>" << html_escape(c) << "</td>";
      out << "</tr>\n";
    }
    out << "</table>\n";
  } else if (format == "table") {
    std::vector<size_t> width(t.header.size());
    for (size_t i = 0; i < t.header.size(); ++i) width[i] = t.header[i].size();
    for (const auto& row : t.rows)
      for (size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
    auto line = [&](const std::vector<std::string>& cells) {
      for (size_t i = 0; i < cells.size(); ++i) out << cells[i] << std::string(width[i] - cells[i].size() + 2, ' ');
      out << "\n";
    };
    line(t.header);
    for (const auto& row : t.rows) line(row);
  } else {
    throw Error(SourceLocation{}, "--format", "unknown format '" + format + "'", join(table_formats()));
  }
}

}  // namespace clear_sweep
