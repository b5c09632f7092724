// The trials of one search cell: trial i is the i-th distinct point of a seeded
// sequence (random or Sobol) over the cell's distributions. Trial i never depends on
// the budget, so a larger budget adds trials after the ones already run, and no two
// trials of a cell share a setting (a repeated point is skipped, not run twice).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sweep/hparam.h"
#include "sweep/search_spec.h"

namespace clear_sweep {

class TrialSampler {
 public:
  /// `cell` (a cell's job id) makes each cell's sequence its own.
  TrialSampler(SamplerKind kind, int64_t seed, std::string cell, std::map<std::string, Distribution> space);

  /// The sampled hyperparameters of trial `index` (0-based).
  const HParams& trial(int64_t index);

  const std::map<std::string, Distribution>& space() const { return space_; }

 private:
  HParams point(uint64_t j) const;

  SamplerKind kind_;
  int64_t seed_;
  std::string cell_;
  std::map<std::string, Distribution> space_;
  std::vector<uint32_t> shifts_;  ///< Sobol: one digital shift per dimension
  std::vector<HParams> trials_;
  std::set<std::string> seen_;  ///< hparams_text of every trial so far
  uint64_t next_point_ = 0;
};

/// A uniform in [0, 1) that depends on `key` alone (53 bits of its SHA-256).
double keyed_uniform(const std::string& key);

}  // namespace clear_sweep
