#include "common/module_path.h"

#include <cstdlib>
#include <filesystem>

namespace clear_sweep {

std::string module_path(const char* env_var, const std::string& file_name, const std::string& build_tree_path) {
  if (const char* env = std::getenv(env_var)) return env;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec && std::filesystem::exists(exe.parent_path() / file_name)) return (exe.parent_path() / file_name).string();
  return build_tree_path.empty() ? file_name : build_tree_path;
}

}  // namespace clear_sweep
