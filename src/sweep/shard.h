// Sharding a grid over independent runs (a Slurm job array, several machines): shard I
// of N runs the jobs whose id hashes to I, and the stages those jobs need. A job's shard
// depends on its id alone, so growing the grid never moves an old job to another shard.
#pragma once

#include <string>

#include "sweep/sweep_expand.h"

namespace clear_sweep {

struct Shard {
  int index = 0;  ///< 0-based, as Slurm's SLURM_ARRAY_TASK_ID usually is
  int count = 1;
  std::string text() const;  ///< "3/8"
};

/// Parses "I/N" with 0 <= I < N; `option` names the flag in errors.
Shard shard_parse(const std::string& text, const std::string& option);

/// Which shard of `count` a job id belongs to.
int shard_of(const std::string& job_id, int count);

/// The part of `plan` that shard `shard` runs.
SweepPlan sweep_shard(const SweepPlan& plan, const Shard& shard);

}  // namespace clear_sweep
