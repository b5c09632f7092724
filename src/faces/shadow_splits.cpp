#include "faces/shadow_splits.h"

#include <algorithm>
#include <random>

#include "common/error.h"

namespace clear_sweep {

ShadowSplit shadow_split(int64_t k, const std::vector<int64_t>& forget_pool, const std::vector<int64_t>& holdout_pool,
                         const std::vector<int64_t>& others, uint64_t seed) {
  if (forget_pool.empty() || holdout_pool.empty())
    throw Error({}, "shadow_models",
                "U-MIA and U-LIRA need forget and holdout persons; this dataset has " +
                    std::to_string(forget_pool.size()) + " and " + std::to_string(holdout_pool.size()));
  CS_ASSERT(k >= 0, "negative split index");
  ShadowSplit s;
  s.index = k;
  s.forget_side = k % 2 == 0;
  s.target = (k / 2) % 2 == 0;
  std::vector<int64_t> drawn = others;
  std::mt19937_64 rng(seed * 1000003 + uint64_t(k));
  std::shuffle(drawn.begin(), drawn.end(), rng);
  drawn.resize(others.size() / 2);
  s.train_persons = s.forget_side ? forget_pool : holdout_pool;
  s.train_persons.insert(s.train_persons.end(), drawn.begin(), drawn.end());
  std::sort(s.train_persons.begin(), s.train_persons.end());
  return s;
}

std::vector<ShadowSplit> shadow_splits(const std::vector<int64_t>& forget_pool,
                                       const std::vector<int64_t>& holdout_pool, const std::vector<int64_t>& others,
                                       int64_t per_role, uint64_t seed) {
  if (per_role < 1) throw Error({}, "shadow_models", "must be at least 1, got " + std::to_string(per_role));
  std::vector<ShadowSplit> out;
  for (int64_t k = 0; k < 4 * per_role; ++k) out.push_back(shadow_split(k, forget_pool, holdout_pool, others, seed));
  return out;
}

const std::vector<int64_t>& unlearned_persons(const ShadowSplit& split, const std::vector<int64_t>& forget,
                                              const std::vector<int64_t>& holdout) {
  return split.forget_side ? forget : holdout;
}

std::vector<ShadowSample> shadow_samples(const std::vector<ShadowSplit>& splits,
                                         const std::vector<std::vector<double>>& scores,
                                         const std::vector<int64_t>& forget_images,
                                         const std::vector<int64_t>& holdout_images) {
  CS_ASSERT(scores.size() == splits.size(), "one score row per split");
  std::vector<ShadowSample> out;
  auto add = [&](int64_t image, bool forget_image) {
    ShadowSample s;
    for (size_t k = 0; k < splits.size(); ++k) {
      const double x = scores[k].at(size_t(image));
      const bool in = splits[k].forget_side == forget_image;
      auto& bucket = splits[k].target ? (in ? s.target_in : s.target_out) : (in ? s.shadow_in : s.shadow_out);
      bucket.push_back(x);
    }
    out.push_back(std::move(s));
  };
  for (int64_t i : forget_images) add(i, true);
  for (int64_t i : holdout_images) add(i, false);
  return out;
}

}  // namespace clear_sweep
