// `clear-sweep run` under mpirun: MPI start-up, the checks every rank must agree on,
// then rank 0 coordinates and the others work.
#pragma once

#include <ostream>
#include <string>

#include "cluster/coordinator.h"

namespace clear_sweep {

struct RunOptions {
  std::string sweep_path;
  std::string out_path;  ///< results file; default results/<sweep name>.h5
  std::string shard;     ///< "I/N": run only that shard of the grid
  bool force = false;    ///< write into a file of another experiment
  bool dry_run = false;  ///< every method as noop, stages as markers
  double heartbeat_seconds = 10;
  CoordinatorOptions coordinator;
};

/// Runs the whole sweep; call from every rank. Returns the process exit code (the same
/// on every rank for bad input: each rank stops cleanly, nothing is written).
int run_sweep(const RunOptions& options, std::ostream& out, std::ostream& err);

}  // namespace clear_sweep
