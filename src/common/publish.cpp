#include "common/publish.h"

#include <unistd.h>

#include "common/file_write.h"

namespace clear_sweep {
namespace fs = std::filesystem;

namespace {

/// Where `target` is written before it is whole: PARENT/.NAME.partial-PID.
fs::path partial_path(const fs::path& target) {
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  return parent / ("." + target.filename().string() + ".partial-" + std::to_string(getpid()));
}

}  // namespace

void publish_dir(const fs::path& target, const std::string& what, const std::function<void(const fs::path&)>& fill,
                 bool replace) {
  const fs::path partial = partial_path(target);
  std::error_code ec;
  fs::remove_all(partial, ec);
  try {
    classify_write_errors(what, [&] {
      fs::create_directories(partial);
      fill(partial);
      if (replace) fs::remove_all(target);  // a leftover, or the folder this one replaces
      fs::rename(partial, target);          // onto an empty folder, or none (POSIX rename)
    });
  } catch (...) {
    fs::remove_all(partial, ec);  // a full disk: no half folder left to take space
    throw;
  }
}

void publish_file(const fs::path& target, std::string_view bytes, const std::string& what) {
  const fs::path partial = partial_path(target);
  std::error_code ec;
  try {
    classify_write_errors(what, [&] {
      if (target.has_parent_path()) fs::create_directories(target.parent_path());
      write_file(partial.string(), bytes, what);
      fs::rename(partial, target);
    });
  } catch (...) {
    fs::remove(partial, ec);
    throw;
  }
}

}  // namespace clear_sweep
