// "I don't know"-style answers for idk, dpo and llmu: the model is taught (or preferred)
// to refuse on the forget set. Varied, so it learns refusing rather than one string.
#pragma once

#include <string>
#include <vector>

namespace clear_sweep {

const std::vector<std::string>& refusal_answers();

}  // namespace clear_sweep
