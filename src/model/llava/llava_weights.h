// The names transformers has stored LLaVA's tensors under, mapped to ours.
#pragma once

#include <string>

namespace clear_sweep {

/// Our name for a tensor or module of any of transformers' LLaVA layouts (the hub's,
/// 4.52's model.* + lm_head, 5.x's vision_tower.* without vision_model).
std::string llava_weight_name(std::string name);

}  // namespace clear_sweep
