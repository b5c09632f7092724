#pragma once

namespace clear_sweep {

/// The program version (CMake's project version), stored with every results file.
const char* version();

}  // namespace clear_sweep
