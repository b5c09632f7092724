// Writing the files a rerun depends on: stage models, saved adapters, search states.
// Running out of space is the disk's fault, not the file's, so it is a ResumableError
// (the sweep stops with 75, and the same command resumes once space is freed); any other
// failure is an Error naming the file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.h"

namespace clear_sweep {

/// True for the errno values of a full disk or an exhausted quota.
bool is_out_of_space(int err);

/// Throws what a failed write of `path` is: a ResumableError when out of space, an
/// Error otherwise. `what` says what was being written ("cannot write the weights").
[[noreturn]] void throw_write_failure(const std::string& path, int err, const std::string& what);

/// Writes `bytes` to `path` (created or truncated) and flushes it to the disk, checking
/// every step: a short write, a failed flush or fsync is an error, never a silent stub.
/// `what` begins the message of that error.
void write_file(const std::string& path, std::string_view bytes, const std::string& what = "cannot write the file");

/// Runs `fn`, a block that writes an artifact; a std::filesystem error inside it
/// (creating a folder, copying a file, renaming into place) is classified as above.
template <typename Fn>
void classify_write_errors(const std::string& what, Fn&& fn) {
  try {
    fn();
  } catch (const std::filesystem::filesystem_error& e) {
    throw_write_failure(e.path1().string(), e.code().value(), what + " (" + e.code().message() + ")");
  }
}

}  // namespace clear_sweep
