// What the fuzz targets share. Each target feeds one reader of outside input and lets
// only clear_sweep::Error (the clear message bad input must get) through: any other
// exception, a crash or a sanitizer report is a finding. Built with libFuzzer by
// bench/fuzz.sh, and in every build as a replay tool that ctest runs over fuzz/corpus/
// (the seeds and every input that once failed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "common/error.h"

namespace clear_sweep::fuzz {

/// A folder of this process's own under /tmp, made once (libFuzzer runs one process per
/// job, so concurrent jobs never share files).
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    char pattern[] = "/tmp/clear-sweep-fuzz-XXXXXX";
    const char* made = mkdtemp(pattern);
    if (!made) std::abort();
    return std::string(made);
  }();
  return dir;
}

/// Writes `bytes` to scratch_dir()/name and returns the path.
inline std::string write_file(const std::string& name, const std::string& bytes) {
  const std::string path = scratch_dir() + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
  return path;
}

/// Runs `read`; a clear_sweep::Error is the expected answer to bad input.
template <typename Read>
void expect_clear_error(Read&& read) {
  try {
    read();
  } catch (const Error&) {
  }
}

}  // namespace clear_sweep::fuzz
