// A Job: one cell of the grid (method x modality x forget fraction x seed x hparams).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sweep/hparam.h"
#include "sweep/modality.h"

namespace clear_sweep {

struct Job {
  /// short_hash(job_canonical_text(...)): stable across key order in the file and
  /// across added axis values; changes when any field or the sweep's context changes.
  std::string id;
  std::string method;
  Modality modality = Modality::text;
  double forget_fraction = 0;  ///< percent of persons
  int64_t seed = 0;
  HParams hparams;                 ///< every hyperparameter of the method, defaults filled
  double cost = 0;                 ///< estimated relative cost (job_cost.h), for scheduling
  std::vector<std::string> needs;  ///< ids of the stages that must finish first

  int64_t integer(const std::string& name) const;  ///< hyperparameter by name (asserts it exists)
  double real(const std::string& name) const;
};

/// The text a job id hashes: a versioned, ordered list of every field plus the
/// sweep's job context (data, model, finetune, eval), so identical grid cells of
/// different experiments never share an id.
std::string job_canonical_text(const Job& job, const std::string& job_context);

/// "npo/text/5%/seed0 beta=0.1 epochs=5 ..." for logs and listings.
std::string job_label(const Job& job);

}  // namespace clear_sweep
