// `clear-sweep plan SWEEP.toml`: what a sweep would run, before running it.
#pragma once

#include <ostream>
#include <string>

namespace clear_sweep {

enum class OutputFormat { text, json };

struct PlanOptions {
  std::string sweep_path;
  int ranks = 0;  ///< 0: no schedule preview; else total MPI ranks, coordinator included
  OutputFormat format = OutputFormat::text;
  bool list_jobs = false;  ///< text format: one line per job (JSON always lists them)
  std::string shard;       ///< "I/N": only the part of the grid that shard runs
};

/// Loads, validates and expands the sweep, then prints the plan. Writes nothing else.
/// Throws clear_sweep::Error on a bad sweep.
int plan_command(const PlanOptions& options, std::ostream& out);

}  // namespace clear_sweep
