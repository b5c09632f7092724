#include "store/result_record.h"

namespace clear_sweep {

const char* run_status_name(RunStatus status) { return status == RunStatus::ok ? "ok" : "failed"; }

bool run_status_parse(const std::string& name, RunStatus& status) {
  if (name == "ok")
    status = RunStatus::ok;
  else if (name == "failed")
    status = RunStatus::failed;
  else
    return false;
  return true;
}

bool preferred_record(const ResultRecord& candidate, const ResultRecord& kept) {
  if (candidate.status != kept.status) return candidate.status == RunStatus::ok;
  return candidate.finished_at > kept.finished_at;
}

}  // namespace clear_sweep
