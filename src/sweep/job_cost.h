// Cost estimates, so the scheduler hands out the longest work first (LPT order keeps
// every worker busy to the end of a sweep with uneven jobs).
//
// Unit: one forward+backward pass over one item (a forward alone counts 1/3). Only the
// ordering and the ratios within one sweep matter, so no machine constant is involved.
// The noop method sleeps, so its cost is its `seconds` (per epoch) x `epochs`.
#pragma once

#include "sweep/job.h"
#include "sweep/method_catalog.h"
#include "sweep/stage.h"
#include "sweep/sweep_spec.h"

namespace clear_sweep {

/// Synthetic persons carry about 20 text QA pairs each, as TOFU's authors do.
inline constexpr double kQaPerPerson = 20.0;

/// Estimated cost of unlearning and evaluating one job.
double job_cost(const SweepSpec& spec, const MethodInfo& method, const Job& job);

/// Estimated cost of a finetune stage.
double stage_cost(const SweepSpec& spec, StageKind kind, double forget_fraction);

}  // namespace clear_sweep
