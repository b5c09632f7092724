#include "sweep/stage.h"

#include "common/number_format.h"

namespace clear_sweep {

const char* stage_kind_name(StageKind kind) {
  return kind == StageKind::finetune_base ? "finetune_base" : "finetune_gold";
}

std::string stage_label(const Stage& stage) {
  if (stage.kind == StageKind::finetune_base) return stage_kind_name(stage.kind);
  return std::string(stage_kind_name(stage.kind)) + " " + format_number(stage.forget_fraction) + "%";
}

std::string stage_canonical_text(StageKind kind, double forget_fraction, const std::string& training_context) {
  std::string out = "clear-sweep/stage/v1|kind=" + std::string(stage_kind_name(kind));
  if (kind == StageKind::finetune_gold) out += "|forget_fraction=" + format_number(forget_fraction);
  return out + "|context:" + training_context;
}

}  // namespace clear_sweep
