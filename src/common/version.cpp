#include "common/version.h"

namespace clear_sweep {

const char* version() { return CLEAR_SWEEP_VERSION; }

const char* build_description() { return "libtorch " CLEAR_SWEEP_TORCH_VERSION ", " CLEAR_SWEEP_BUILD_KIND; }

}  // namespace clear_sweep
