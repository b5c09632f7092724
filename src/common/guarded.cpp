#include "common/guarded.h"

#include "common/error.h"
#include "common/exit_codes.h"

namespace clear_sweep {

int run_guarded(std::ostream& err, const std::function<int()>& fn) {
  try {
    return fn();
  } catch (const Error& e) {
    err << e.what() << "\n";
    return kExitBadInput;
  } catch (const InternalError& e) {
    err << e.what() << "\n";
    return kExitInternal;
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace clear_sweep
