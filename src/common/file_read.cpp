#include "common/file_read.h"

#include <fstream>
#include <sstream>

#include "common/error.h"

namespace clear_sweep {

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(SourceLocation{path}, "file", "cannot open the file");
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw Error(SourceLocation{path}, "file", "cannot read the file");
  return s.str();
}

}  // namespace clear_sweep
