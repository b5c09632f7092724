// Learning-rate schedule shared by finetuning and unlearning: linear warm-up, then a
// cosine decay to `floor` x the peak (floor = 1 keeps it constant after warm-up).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace clear_sweep {

inline double scheduled_lr(double peak, int64_t step, int64_t total_steps, int64_t warmup_steps, double floor) {
  if (warmup_steps > 0 && step < warmup_steps) return peak * double(step + 1) / double(warmup_steps);
  const int64_t decay_steps = std::max<int64_t>(1, total_steps - warmup_steps);
  const double progress = std::clamp(double(step - warmup_steps) / double(decay_steps), 0.0, 1.0);
  return peak * (floor + (1.0 - floor) * 0.5 * (1.0 + std::cos(M_PI * progress)));
}

}  // namespace clear_sweep
