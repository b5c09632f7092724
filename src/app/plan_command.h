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
  /// A measured training step (seconds for `step_items` items, e.g. from
  /// bench/model/gpu_bench on the real model): turns cost units into GPU-hours. 0: none.
  double step_seconds = 0;
  int step_items = 4;
};

/// Loads, validates and expands the sweep, then prints the plan. Writes nothing else.
/// Throws clear_sweep::Error on a bad sweep.
int plan_command(const PlanOptions& options, std::ostream& out);

}  // namespace clear_sweep
