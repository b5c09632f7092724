#include "sweep/job.h"

#include "common/error.h"
#include "common/number_format.h"

namespace clear_sweep {

int64_t Job::integer(const std::string& name) const {
  const auto it = hparams.find(name);
  CS_ASSERT(it != hparams.end() && std::holds_alternative<int64_t>(it->second),
            "job " + id + " has no integer hyperparameter " + name);
  return std::get<int64_t>(it->second);
}

double Job::real(const std::string& name) const {
  const auto it = hparams.find(name);
  CS_ASSERT(it != hparams.end() && std::holds_alternative<double>(it->second),
            "job " + id + " has no real hyperparameter " + name);
  return std::get<double>(it->second);
}

std::string job_canonical_text(const Job& job, const std::string& job_context) {
  std::string out = "clear-sweep/job/v1";
  out += "|method=" + job.method;
  out += "|modality=" + std::string(modality_name(job.modality));
  out += "|forget_fraction=" + format_number(job.forget_fraction);
  out += "|seed=" + std::to_string(job.seed);
  out += "|hparams:";
  bool first = true;
  for (const auto& [name, value] : job.hparams) {  // std::map: name order
    out += (first ? "" : ",") + name + "=" + hparam_text(value);
    first = false;
  }
  // Only when set, so that every id made before searches existed stays as it was.
  if (job.eval_max_items > 0) out += "|eval_max_items=" + std::to_string(job.eval_max_items);
  out += "|context:" + job_context;
  return out;
}

std::string job_label(const Job& job) {
  std::string out = job.method + "/" + modality_name(job.modality) + "/" + format_number(job.forget_fraction) +
                    "%/seed" + std::to_string(job.seed);
  if (!job.hparams.empty()) out += " " + hparams_text(job.hparams);
  if (job.rung >= 0) out += " (trial " + job.trial_id.substr(0, 8) + ", rung " + std::to_string(job.rung) + ")";
  return out;
}

}  // namespace clear_sweep
