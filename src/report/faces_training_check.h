// Table 2's precondition: U-MIA and U-LIRA read membership from how differently "in"
// and "out" models score an image, so the target and shadow models must differ only in
// what they saw, not in how far their training went. Each face job stores the final
// training losses of the models it used (store/metric_columns.h); this reads them back
// and warns, naming the stages, when two groups that should be alike are not.
#pragma once

#include <string>
#include <vector>

namespace clear_sweep {

/// Two models that should be trained alike are "unlike" when one's final loss is more
/// than this many times the other's.
inline constexpr double kTrainedAlikeFactor = 3.0;

/// One stage's final loss, named as `finetune` and the logs name it.
struct StageLoss {
  std::string label;  ///< "train_shadow 3 (holdout side, target)", "finetune_base"
  double loss = 0;
};

/// A warning when some member of `a` and some member of `b` differ by more than
/// `factor` (the most unlike pair named), or "" when every pair is within it.
std::string unlike_groups(const std::string& what, const std::vector<StageLoss>& a, const std::vector<StageLoss>& b,
                          double factor = kTrainedAlikeFactor);

/// The stages of U-MIA / U-LIRA from shadow losses in k order: k even trained on the
/// forget pool, odd on the holdout pool; (k / 2) even the targets (shadow_splits.h).
std::vector<std::string> shadow_loss_warnings(const std::vector<double>& shadow_losses,
                                              double factor = kTrainedAlikeFactor);

/// Every warning over the face jobs of `files` (each distinct one once): Original
/// against Gold per forget fraction, the shadow models' roles, targets against shadows.
/// Jobs written before these vectors existed give none.
std::vector<std::string> faces_training_warnings(const std::vector<std::string>& files);

}  // namespace clear_sweep
