// RMU (representation misdirection): its control vector, for tests that check the
// forget activations move toward it.
#pragma once

#include <torch/torch.h>

#include "unlearn/unlearn_method.h"

namespace clear_sweep {

/// RMU's control vector c [D]; an assertion fails for any other method.
torch::Tensor rmu_control_vector(const UnlearnMethod& method);

}  // namespace clear_sweep
