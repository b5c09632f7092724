// Internal to src/unlearn: the factories of each method family and the loss helpers
// they share. make_method (registry.cpp) asks each family in turn.
#pragma once

#include <memory>

#include "unlearn/losses.h"
#include "unlearn/unlearn_method.h"

namespace clear_sweep {

std::unique_ptr<UnlearnMethod> make_gradient_method(const Job& job);
std::unique_ptr<UnlearnMethod> make_preference_method(const Job& job);
std::unique_ptr<UnlearnMethod> make_distillation_method(const Job& job);
std::unique_ptr<UnlearnMethod> make_reweighted_method(const Job& job);
std::unique_ptr<UnlearnMethod> make_rmu(const Job& job, const ModelConfig& config);

/// RMU's control vector c (tests check the forget activations move toward it).
torch::Tensor rmu_control_vector(const UnlearnMethod& method);

}  // namespace clear_sweep
