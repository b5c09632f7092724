// `clear-sweep finetune SWEEP.toml`: trains the stages a sweep needs (the base model and
// one gold model per forget fraction) into the artifacts folder, reusing any already
// there. `run` does the same on its ranks; this runs them in one process.
#pragma once

#include <ostream>
#include <string>

namespace clear_sweep {

struct FinetuneCommandOptions {
  std::string sweep_path;
  std::string artifacts;  ///< default: results/artifacts
  std::string device;     ///< default: the sweep's [resources] device
  int threads = 1;
};

int finetune_command(const FinetuneCommandOptions& options, std::ostream& out);

}  // namespace clear_sweep
