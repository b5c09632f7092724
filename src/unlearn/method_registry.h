// Internal to src/unlearn: the registry of VLM unlearning methods. Each method family's
// file (gradient_methods.cpp, preference_methods.cpp ...) registers its methods beside
// their classes; make_method (unlearn_method.h) finds them by name.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "unlearn/losses.h"
#include "unlearn/unlearn_method.h"

namespace clear_sweep {

/// Makes a method from a job's hyperparameters (validated at plan time by the catalog);
/// `config` is the model's, for checks against its shape (rmu's layer).
using MethodFactory = std::function<std::unique_ptr<UnlearnMethod>(const Job& job, const ModelConfig& config)>;

/// Registers at static initialisation; a name registered twice is a bug.
struct MethodRegistration {
  MethodRegistration(const std::string& name, MethodFactory factory);
};

}  // namespace clear_sweep
