// Where a shared module that ships beside the executables is found (the model module,
// the SentencePiece shim): the environment variable `env_var` if set, else the file
// beside the running executable, else `build_tree_path` (its copy in the build tree,
// for tests run from there).
#pragma once

#include <string>

namespace clear_sweep {

std::string module_path(const char* env_var, const std::string& file_name, const std::string& build_tree_path);

}  // namespace clear_sweep
