// The synthetic CLEAR-like world, the embedded default: fictitious authors with
// biographies, TOFU-style QA about them (each with a paraphrase and perturbed answers),
// procedurally rendered identity images with captions (CLEAR's image rows), celebrity
// faces and everyday objects for the real-knowledge sets, and splits by person.
// One seed gives one world, bit for bit.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "data/dataset.h"
#include "data/image.h"

namespace clear_sweep {

struct SynthOptions {
  int64_t persons = 40;  ///< trained persons (the forget/retain pool)
  int64_t images_per_person = 8;
  int64_t holdout = -1;     ///< persons never trained on; -1: 10 % of persons, at least 2
  int64_t celebrities = 8;  ///< real_faces identities
  int64_t images_per_celebrity = 3;
  int64_t objects = 24;     ///< real_world items (at most colours x shapes)
  int64_t image_size = 64;  ///< square images, in pixels
  int64_t seed = 7;

  int64_t holdout_persons() const;
  /// Throws Error naming the flag (`--persons` ...) for values out of range.
  void validate() const;
};

/// Text QA each person gets: two questions for each of ten facts (TOFU has 20).
inline constexpr int kQaPerPerson = 20;

struct SynthWorld {
  Dataset dataset;                                    ///< root left empty
  std::vector<std::pair<std::string, Image>> images;  ///< path (as the records name it) and pixels
};

/// `on_person` sees each person done (their facts, QA and rendered images) of all.
SynthWorld synth_world(const SynthOptions& options,
                       const std::function<void(int64_t done, int64_t total)>& on_person = {});

}  // namespace clear_sweep
