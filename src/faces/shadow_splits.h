// The shadow models of U-MIA and U-LIRA, as CLEAR's visual benchmark splits them
// (cv/prepare_vtofu_dataset.py). Two pools of persons play mirrored roles: the forget
// pool and the holdout pool. Half the models train on the forget pool plus a random half
// of the other trained persons and then unlearn the forget persons; the other half train
// on the holdout pool plus a random half of the others and unlearn the holdout persons.
// So each forget image is "in" (trained, then unlearned) under the first half and "out"
// (never seen) under the second, and a holdout image the other way round. In each half,
// the first N models are targets, the next N shadows. Torch-free.
#pragma once

#include <cstdint>
#include <vector>

#include "eval/shadow_attacks.h"

namespace clear_sweep {

struct ShadowSplit {
  int64_t index = 0;
  bool forget_side = true;             ///< trains on the forget pool (else the holdout pool)
  bool target = true;                  ///< a target model (else a shadow)
  std::vector<int64_t> train_persons;  ///< the pool plus its random half of the others, ascending
};

/// 4 x per_role splits: forget-side targets, forget-side shadows, holdout-side targets,
/// holdout-side shadows. `others` are trained persons in neither pool; each split draws
/// half of them (rounded down) with a generator seeded by (seed, index), so a split is
/// the same whatever the number of splits. Error when a pool is empty or per_role < 1.
std::vector<ShadowSplit> shadow_splits(const std::vector<int64_t>& forget_pool,
                                       const std::vector<int64_t>& holdout_pool, const std::vector<int64_t>& others,
                                       int64_t per_role, uint64_t seed);

/// What split k unlearns: the forget-side ones `forget`, the holdout-side ones `holdout`.
const std::vector<int64_t>& unlearned_persons(const ShadowSplit& split, const std::vector<int64_t>& forget,
                                              const std::vector<int64_t>& holdout);

/// The attack's samples: each forget image (in under forget-side models) and each holdout
/// image (in under holdout-side models), with its scores sorted into shadow/target and
/// in/out. scores[k][i]: image i's score under split k's model.
std::vector<ShadowSample> shadow_samples(const std::vector<ShadowSplit>& splits,
                                         const std::vector<std::vector<double>>& scores,
                                         const std::vector<int64_t>& forget_images,
                                         const std::vector<int64_t>& holdout_images);

}  // namespace clear_sweep
