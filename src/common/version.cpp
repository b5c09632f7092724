#include "common/version.h"

namespace clear_sweep {

const char* version() { return CLEAR_SWEEP_VERSION; }

}  // namespace clear_sweep
