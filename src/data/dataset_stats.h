// Counts per split of a loaded dataset (`clear-sweep data stats`), and a digest of a
// dataset folder's bytes (determinism checks, content addresses of checkpoints).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace clear_sweep {

struct SplitCounts {
  std::string split;  ///< "all", "forget10", "retain90", "holdout", "real_faces", ...
  int64_t persons = 0;
  int64_t text_qa = 0;
  int64_t images = 0;
  int64_t option_qa = 0;  ///< real sets only
  /// MLLMU-Bench's items about the split's persons, by role (train, eval, test).
  int64_t mllmu_train = 0, mllmu_eval = 0, mllmu_test = 0;
};

/// One row for every person (all), each named split, holdout, the celebrity set of an
/// MLLMU-Bench dataset, and the real sets.
std::vector<SplitCounts> dataset_counts(const Dataset& dataset);

/// SHA-256 over every regular file of the folder (sorted relative paths and contents).
std::string folder_digest(const std::string& dir);

}  // namespace clear_sweep
