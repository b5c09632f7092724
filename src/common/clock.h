// Wall-clock time as results, logs and lock files record it.
#pragma once

#include <string>

namespace clear_sweep {

/// Seconds since the Unix epoch, with sub-second precision.
double unix_now();

/// The current time in UTC as ISO 8601: "2026-11-22T23:15:28Z".
std::string utc_now_iso();

}  // namespace clear_sweep
