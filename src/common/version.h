#pragma once

namespace clear_sweep {

/// The program version (CMake's project version), stored with every results file.
const char* version();

/// What the model layer was built against, e.g. "libtorch 2.11.0+cu130, CUDA-enabled
/// build" or "libtorch 2.11.0+cu130, CPU build": `--version` prints it, and the error
/// for a device that is not there names it.
const char* build_description();

}  // namespace clear_sweep
