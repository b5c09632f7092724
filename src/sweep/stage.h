// Stages: the work the grid depends on. The base model is
// finetuned on the full set; one gold model per forget fraction is trained on that
// fraction's retain split only (forget quality compares against it). The face kind adds
// the shadow models of U-MIA and U-LIRA: model k trains on split k (faces/shadow_splits.h)
// of a forget pool, the forget persons of the grid's largest fraction.
#pragma once

#include <string>

namespace clear_sweep {

enum class StageKind { finetune_base, finetune_gold, train_shadow };

struct Stage {
  /// Content address of the artifact the stage makes: a hash of the training context
  /// (data, model, finetune) and of what the stage trains on. A rerun or a resumed
  /// sweep finds the artifact under this id instead of training again.
  std::string id;
  StageKind kind = StageKind::finetune_base;
  double forget_fraction = 0;  ///< finetune_gold: its fraction; train_shadow: the forget pool's
  int64_t shadow_index = -1;   ///< train_shadow: the split k
  double cost = 0;             ///< estimated, in the units of job_cost.h
};

const char* stage_kind_name(StageKind kind);

/// "finetune_base", "finetune_gold 5%", "train_shadow 3".
std::string stage_label(const Stage& stage);

/// The text a stage id hashes.
std::string stage_canonical_text(StageKind kind, double forget_fraction, const std::string& training_context,
                                 int64_t shadow_index = -1);

}  // namespace clear_sweep
