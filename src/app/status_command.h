// `clear-sweep status results/NAME.h5`: what a results file holds, while its sweep runs
// or after: counts by status and by method, what is left of the grid, the latest
// failures, and whether a sweep is writing it now.
#pragma once

#include <ostream>
#include <string>

#include "app/plan_command.h"

namespace clear_sweep {

struct StatusOptions {
  std::string results_path;
  OutputFormat format = OutputFormat::text;
  size_t failures = 5;            ///< how many of the latest failures to show
  bool require_complete = false;  ///< exit kExitFailure unless every grid job is stored
};

int status_command(const StatusOptions& options, std::ostream& out);

}  // namespace clear_sweep
