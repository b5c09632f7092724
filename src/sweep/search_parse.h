// Reads [search] (search_spec.h) against the grid it searches; private to sweep_parse.
#pragma once

#include "sweep/search_spec.h"
#include "sweep/sweep_spec.h"
#include "sweep/toml_reader.h"

namespace clear_sweep {

/// Validates as strictly as the grid: every failure names file, line, column and key.
SearchSpec read_search(const TomlTable& t, const GridSpec& grid);

}  // namespace clear_sweep
