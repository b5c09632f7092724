// `clear-sweep methods`: the methods a sweep may name, their hyperparameters (type,
// default, valid range, meaning) and what each needs.
#pragma once

#include <ostream>

#include "app/plan_command.h"

namespace clear_sweep {

int methods_command(OutputFormat format, std::ostream& out);

}  // namespace clear_sweep
