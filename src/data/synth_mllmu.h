// The synthetic MLLMU-Bench-like world, the offline default of the second benchmark:
// fictitious profiles with a profile image and a transformed test image each, their
// biography asked as MLLMU-Bench asks it (multiple choice, cloze, generation, each as
// Image_Textual or Pure_Text), a celebrity set the base model learns alongside, and
// MLLMU's forget 5/10/15 % splits. One seed gives one world, bit for bit.
#pragma once

#include <cstdint>
#include <functional>

#include "data/synth_world.h"

namespace clear_sweep {

struct SynthMllmuOptions {
  SynthOptions world;       ///< persons, holdout, image size and seed (images: 2 per person)
  int64_t celebrities = 8;  ///< profiles of the celebrity set
  int64_t facts_asked = 4;  ///< facts per profile that become questions (of 10)

  /// Throws Error naming the flag for values out of range.
  void validate() const;
};

/// Questions per profile: each asked fact gives one question of every task.
inline constexpr int kMllmuTasks = 3;

SynthWorld synth_mllmu_world(const SynthMllmuOptions& options,
                             const std::function<void(int64_t done, int64_t total)>& on_person = {});

}  // namespace clear_sweep
