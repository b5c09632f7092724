// The shadow models of U-MIA and U-LIRA, as CLEAR's visual benchmark splits them
// (cv/prepare_vtofu_dataset.py). Two pools of persons play mirrored roles: the forget
// pool and the holdout pool. Half the models train on the forget pool plus a random half
// of the other trained persons and then unlearn the forget persons; the other half train
// on the holdout pool plus a random half of the others and unlearn the holdout persons.
// So each forget image is "in" (trained, then unlearned) under the first half and "out"
// (never seen) under the second, and a holdout image the other way round. Each half has
// targets and shadows in equal numbers. Model k's role depends on k alone, so that the
// first 4N models of a larger study are a smaller study's (and cached stages serve both):
// k even is forget-side, k odd holdout-side; k / 2 even is a target, odd a shadow.
// Torch-free.
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

/// Split k. `others` are trained persons in neither pool; the split draws half of them
/// (rounded down) with a generator seeded by (seed, k). Error when a pool is empty.
ShadowSplit shadow_split(int64_t k, const std::vector<int64_t>& forget_pool, const std::vector<int64_t>& holdout_pool,
                         const std::vector<int64_t>& others, uint64_t seed);

/// Splits 0 .. 4 x per_role - 1: per_role targets and per_role shadows on each side.
/// Error when a pool is empty or per_role < 1.
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
