#include "model/llava/llava_weights.h"

namespace clear_sweep {
namespace {
bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }
}  // namespace

// Our parameter name for a stored tensor of any of transformers' LLaVA layouts:
//   < 4.52 (the hub's llava-hf): language_model.model.*, language_model.lm_head.*,
//     vision_tower.vision_model.*, multi_modal_projector.* (ours);
//   4.52 to 4.x: model.language_model.*, lm_head.*, model.vision_tower.vision_model.*,
//     model.multi_modal_projector.*;
//   5.x: language_model.model.*, language_model.lm_head.*, vision_tower.* (no
//     vision_model).
// LLaVA-NeXT's are the same, with image_newline (model.image_newline in 4.52's).
std::string llava_weight_name(std::string name) {
  for (const char* part : {"language_model.", "vision_tower.", "multi_modal_projector.", "image_newline"})
    if (starts_with(name, std::string("model.") + part)) name = name.substr(6);
  if (starts_with(name, "lm_head.")) name = "language_model." + name;
  if (starts_with(name, "vision_tower.") && !starts_with(name, "vision_tower.vision_model."))
    name = "vision_tower.vision_model." + name.substr(13);
  if (starts_with(name, "language_model.") && !starts_with(name, "language_model.model.") &&
      !starts_with(name, "language_model.lm_head."))
    name = "language_model.model." + name.substr(15);
  return name;
}

}  // namespace clear_sweep
