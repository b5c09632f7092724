// Helpers shared by the test files.
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "common/error.h"

/// Path of a file in the source tree, e.g. source_path("sweeps/mini.toml").
inline std::string source_path(const std::string& relative) { return std::string(CS_SOURCE_DIR) + "/" + relative; }

/// Runs `fn`, which must throw clear_sweep::Error; returns it for field checks.
template <typename Fn>
clear_sweep::Error expect_error(Fn&& fn) {
  try {
    fn();
  } catch (const clear_sweep::Error& e) {
    return e;
  }
  FAIL("expected clear_sweep::Error, nothing was thrown");
  throw;  // unreachable: FAIL aborts the test case
}

#include <cstdlib>
#include <filesystem>

/// A fresh empty folder under /tmp, removed when the object goes.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/clear-sweep-test-XXXXXX";
    const char* made = mkdtemp(pattern);
    REQUIRE(made != nullptr);
    path_ = made;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};
