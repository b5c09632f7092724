// Wall-clock time as results, logs and lock files record it, and elapsed time.
#pragma once

#include <chrono>
#include <string>

namespace clear_sweep {

/// Seconds since the Unix epoch, with sub-second precision.
double unix_now();

/// The current time in UTC as ISO 8601: "2026-11-22T23:15:28Z".
std::string utc_now_iso();

/// Seconds elapsed since `start` on the steady clock: durations in logs and records.
double seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace clear_sweep
