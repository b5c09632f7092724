#include "common/error.h"

namespace clear_sweep {
namespace {

std::string format_error(const SourceLocation& where, const std::string& key, const std::string& message,
                         const std::string& hint) {
  std::string out;
  if (!where.file.empty()) {
    out += where.file;
    if (where.line > 0) {
      out += ":" + std::to_string(where.line);
      if (where.column > 0) out += ":" + std::to_string(where.column);
    }
    out += ": ";
  }
  out += "error: ";
  if (!key.empty()) out += key + ": ";
  out += message;
  if (!hint.empty()) out += " (hint: " + hint + ")";
  // One line, always: a message with a newline would break the one-line contract
  // that editors and log scrapers rely on.
  for (char& c : out)
    if (c == '\n' || c == '\r') c = ' ';
  return out;
}

}  // namespace

Error::Error(SourceLocation where, std::string key, std::string message, std::string hint)
    : std::runtime_error(format_error(where, key, message, hint)),
      where_(std::move(where)),
      key_(std::move(key)),
      message_(std::move(message)),
      hint_(std::move(hint)) {}

void internal_error(const char* file, int line, const char* condition, const std::string& detail) {
  throw InternalError(std::string("internal error at ") + file + ":" + std::to_string(line) + ": check '" + condition +
                      "' failed" + (detail.empty() ? std::string() : ": " + detail) +
                      " (this is a bug in clear-sweep; please report it)");
}

}  // namespace clear_sweep
