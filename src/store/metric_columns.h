// The metric columns of /runs: every scalar a job can report (DESIGN.md section 7).
// They are the file's schema: adding or renaming one bumps kSchemaVersion
// (results_file.h), so that old files are recognised as old.
#pragma once

#include <string>
#include <vector>

namespace clear_sweep {

struct MetricColumn {
  std::string name;
  std::string doc;  ///< what it means in CLEAR / TOFU terms
};

const std::vector<MetricColumn>& metric_columns();

/// Index of `name` in metric_columns(), or -1.
int metric_column_index(const std::string& name);

}  // namespace clear_sweep
