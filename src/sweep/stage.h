// Stages: the work the grid depends on (DESIGN.md section 1). The base model is
// finetuned on the full set; one gold model per forget fraction is trained on that
// fraction's retain split only (forget quality compares against it).
#pragma once

#include <string>

namespace clear_sweep {

enum class StageKind { finetune_base, finetune_gold };

struct Stage {
  /// Content address of the artifact the stage makes: a hash of the training context
  /// (data, model, finetune) and of what the stage trains on. A rerun or a resumed
  /// sweep finds the artifact under this id instead of training again.
  std::string id;
  StageKind kind = StageKind::finetune_base;
  double forget_fraction = 0;  ///< finetune_gold only
  double cost = 0;             ///< estimated, in the units of job_cost.h
};

const char* stage_kind_name(StageKind kind);

/// "finetune_base", "finetune_gold 5%".
std::string stage_label(const Stage& stage);

/// The text a stage id hashes.
std::string stage_canonical_text(StageKind kind, double forget_fraction, const std::string& training_context);

}  // namespace clear_sweep
