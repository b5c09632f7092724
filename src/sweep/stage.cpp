#include "sweep/stage.h"

#include "common/number_format.h"

namespace clear_sweep {

const char* stage_kind_name(StageKind kind) {
  switch (kind) {
    case StageKind::finetune_base:
      return "finetune_base";
    case StageKind::finetune_gold:
      return "finetune_gold";
    case StageKind::train_shadow:
      return "train_shadow";
  }
  return "?";
}

std::string stage_label(const Stage& stage) {
  if (stage.kind == StageKind::finetune_base) return stage_kind_name(stage.kind);
  if (stage.kind == StageKind::train_shadow) return "train_shadow " + std::to_string(stage.shadow_index);
  return std::string(stage_kind_name(stage.kind)) + " " + format_number(stage.forget_fraction) + "%";
}

std::string stage_canonical_text(StageKind kind, double forget_fraction, const std::string& training_context,
                                 int64_t shadow_index) {
  std::string out = "clear-sweep/stage/v1|kind=" + std::string(stage_kind_name(kind));
  if (kind == StageKind::finetune_gold) out += "|forget_fraction=" + format_number(forget_fraction);
  if (kind == StageKind::train_shadow)
    out += "|pool_fraction=" + format_number(forget_fraction) + "|shadow=" + std::to_string(shadow_index);
  return out + "|context:" + training_context;
}

}  // namespace clear_sweep
