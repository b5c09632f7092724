// Grid expansion: SweepSpec -> the stages and jobs of a sweep.
#pragma once

#include <vector>

#include "sweep/job.h"
#include "sweep/stage.h"
#include "sweep/sweep_spec.h"

namespace clear_sweep {

struct SweepPlan {
  std::vector<Stage> stages;  ///< finetune_base, then finetune_gold per forget fraction
  std::vector<Job> jobs;      ///< method-major, in the file's axis order
};

/// The Cartesian product method x modality x forget_fraction x seed x hyperparameter
/// axes. For each method, an axis under [grid.hparams.METHOD] wins over a shared axis of
/// the same name; a hyperparameter with no axis takes its default. Stages appear only
/// when some method needs a model.
SweepPlan sweep_expand(const SweepSpec& spec);

}  // namespace clear_sweep

#include "sweep/task_queue.h"

namespace clear_sweep {

/// The plan as a TaskQueue: task i < stages.size() is stages[i]; task stages.size() + j
/// is jobs[j], waiting on the stages it needs.
TaskQueue plan_task_queue(const SweepPlan& plan);

}  // namespace clear_sweep
