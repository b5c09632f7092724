#include "sweep/shard.h"

#include <algorithm>
#include <cstdlib>

#include "common/error.h"

namespace clear_sweep {

std::string Shard::text() const { return std::to_string(index) + "/" + std::to_string(count); }

Shard shard_parse(const std::string& text, const std::string& option) {
  const size_t slash = text.find('/');
  const auto number = [&](const std::string& part, int& out) {
    if (part.empty() || part.size() > 9 || part.find_first_not_of("0123456789") != std::string::npos) return false;
    out = std::atoi(part.c_str());
    return true;
  };
  Shard s;
  if (slash == std::string::npos || !number(text.substr(0, slash), s.index) ||
      !number(text.substr(slash + 1), s.count) || s.count < 1 || s.index >= s.count)
    throw Error({}, option, "'" + text + "' is not a shard I/N with 0 <= I < N",
                "e.g. --shard ${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}");
  return s;
}

int shard_of(const std::string& job_id, int count) {
  CS_ASSERT(count >= 1 && job_id.size() >= 8, "bad shard arguments");
  return int(std::strtoull(job_id.substr(0, 15).c_str(), nullptr, 16) % uint64_t(count));
}

SweepPlan sweep_shard(const SweepPlan& plan, const Shard& shard) {
  SweepPlan out;
  for (const auto& job : plan.jobs)
    if (shard_of(job.id, shard.count) == shard.index) out.jobs.push_back(job);
  for (const auto& stage : plan.stages) {
    const bool needed = std::any_of(out.jobs.begin(), out.jobs.end(), [&](const Job& job) {
      return std::find(job.needs.begin(), job.needs.end(), stage.id) != job.needs.end();
    });
    if (needed) out.stages.push_back(stage);
  }
  return out;
}

}  // namespace clear_sweep
