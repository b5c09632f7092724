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
