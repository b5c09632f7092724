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

}  // namespace clear_sweep
