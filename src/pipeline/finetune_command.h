// `clear-sweep finetune SWEEP.toml`: trains the stages a sweep needs (the base model and
// one gold model per forget fraction) into the artifacts folder, reusing any already
// there. `run` does the same on its ranks; this runs them in one process.
#pragma once

#include <ostream>

#include "cluster/model_plugin.h"

namespace clear_sweep {

int finetune_command(const FinetuneCommandOptions& options, std::ostream& out);

}  // namespace clear_sweep
