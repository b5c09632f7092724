// Canonical text for numbers: the shortest decimal that reads back to the same double.
// Job ids hash this text, so it must not depend on locale, iostream state or the way
// a number was spelt in the sweep file (1e-4, 0.0001 and 1.0e-04 are one value).
#pragma once

#include <string>

namespace clear_sweep {

/// Shortest round-trip decimal ("0.0001", "1e-05", "3", "nan", "inf", "-inf").
std::string format_number(double value);

}  // namespace clear_sweep
