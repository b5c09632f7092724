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

  // A search's trial at one rung (src/search/); grid jobs leave these as they are.
  std::string trial_id;        ///< the trial: a hash of its cell and sampled hyperparameters
  int32_t rung = -1;           ///< the rung this job evaluates the trial at
  int64_t resume_epochs = 0;   ///< epochs its trial trained at the rung below (0: fresh)
  int64_t eval_max_items = 0;  ///< items per evaluation set (0: the sweep's [eval], in full)

  int64_t integer(const std::string& name) const;  ///< hyperparameter by name (asserts it exists)
  double real(const std::string& name) const;
};

/// The text a job id hashes: a versioned, ordered list of every field plus the
/// sweep's job context (data, model, finetune, eval), so identical grid cells of
/// different experiments never share an id. A capped evaluation (a search rung) is part
/// of it; the trial, the rung and where training resumed are not: they change how a
/// result is reached, never what it is.
std::string job_canonical_text(const Job& job, const std::string& job_context);

/// "npo/text/5%/seed0 beta=0.1 epochs=5 ..." for logs and listings.
std::string job_label(const Job& job);

}  // namespace clear_sweep
