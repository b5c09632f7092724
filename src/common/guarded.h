// The boundary where exceptions become exit codes (exit_codes.h): a user's Error is one
// line and 2, a bug is 3, anything else 1. The command line and the model module both
// end here.
#pragma once

#include <functional>
#include <ostream>

namespace clear_sweep {

int run_guarded(std::ostream& err, const std::function<int()>& fn);

}  // namespace clear_sweep
