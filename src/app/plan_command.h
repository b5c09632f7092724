// `clear-sweep plan SWEEP.toml`: what a sweep would run, before running it.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "sweep/job_cost.h"

namespace clear_sweep {

enum class OutputFormat { text, json };

struct PlanOptions {
  std::string sweep_path;
  int ranks = 0;  ///< 0: no schedule preview; else total MPI ranks, coordinator included
  OutputFormat format = OutputFormat::text;
  bool list_jobs = false;  ///< text format: one line per job (JSON always lists them)
  std::string shard;       ///< "I/N": only the part of the grid that shard runs
  // The measured device (bench/model/gpu_bench on the real model's shape), to price the
  // sweep in GPU-hours. Each one not given is the profile's, else its default.
  std::optional<double> step_seconds;    ///< a training step of step_items items; none: no GPU-hours
  std::optional<int64_t> step_items;     ///< default 4
  std::optional<double> decode_seconds;  ///< a greedy decoding step of up to decode_batch rows; none:
                                         ///< generation priced as forward passes (the optimistic way)
  std::optional<int64_t> decode_batch;   ///< default 64, the evaluator's ScoreOptions::generation_batch
  /// A device profile, JSON (scripts/gpu-check.sh writes one from gpu_bench's lines):
  ///   {"step_seconds": 0.2839, "step_items": 4, "decode_seconds": 0.098, "decode_batch": 4}
  /// every key required (numbers > 0; the two counts whole), other keys ignored (a
  /// "gpu" or "preset" to say what was measured).
  std::string profile;
};

/// Reads a device profile (PlanOptions::profile's format). Throws clear_sweep::Error
/// naming the file and the key: unreadable, not a JSON object, a key missing or bad.
DeviceTimes plan_profile_load(const std::string& path);

/// The device `plan` prices at: the flags, else the profile's values, else the defaults.
/// Empty when neither the flags nor a profile give a step time.
std::optional<DeviceTimes> plan_device(const PlanOptions& options);

/// Loads, validates and expands the sweep, then prints the plan. Writes nothing else.
/// Throws clear_sweep::Error on a bad sweep.
int plan_command(const PlanOptions& options, std::ostream& out);

}  // namespace clear_sweep
