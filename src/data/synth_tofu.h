// The synthetic TOFU-like world (arXiv 2401.06121), the offline default of the text
// benchmark: the CLEAR world's fictitious authors and their TOFU-style QA (each with a
// paraphrase and perturbed answers), no images, and TOFU's two real-knowledge sets as
// text multiple choice: real_authors (who wrote a book, among famous authors every model
// learns) and world_facts (where a landmark is). One seed gives one world, bit for bit.
#pragma once

#include <cstdint>
#include <functional>

#include "data/synth_world.h"

namespace clear_sweep {

struct SynthTofuOptions {
  SynthOptions world;        ///< persons (authors), holdout and seed; images are not made
  int64_t real_authors = 8;  ///< famous authors of real_authors, 3 books each
  int64_t world_facts = 24;  ///< world_facts questions (at most one per city)

  /// Throws Error naming the flag for values out of range.
  void validate() const;
};

/// Wrong options per real_authors / world_facts question, as TOFU's `_perturbed` sets.
inline constexpr int kTofuWrongOptions = 3;

SynthWorld synth_tofu_world(const SynthTofuOptions& options,
                            const std::function<void(int64_t done, int64_t total)>& on_person = {});

}  // namespace clear_sweep
