// The state of the unlearning loop between epochs, saved to one file (libtorch's
// archive): the LoRA adapters' values and accumulated gradients, AdamW's moments and
// step counts, and the loop's counters. A search trial promoted to a higher rung
// resumes from it (unlearn_loop.h, UnlearnContinuation).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace clear_sweep {

struct TrainingState {
  int64_t epochs = 0;  ///< epochs trained
  int64_t steps = 0;   ///< optimiser steps taken (the learning-rate schedule's position)
  int64_t micro = 0;   ///< micro-batches run (the gradient accumulation's position)
  /// The method's own state (PDU's dual variable), as UnlearnMethod::state gives it.
  std::vector<double> method_state;
};

/// Writes `state`, the values and gradients of `params` and `optimizer`'s state to
/// `path`, whole or not at all (a temporary file renamed into place).
void save_training_state(const std::string& path, const TrainingState& state, const std::vector<torch::Tensor>& params,
                         torch::optim::Optimizer& optimizer);

/// Loads what save_training_state wrote into `params` (same shapes, same order) and
/// `optimizer`. Throws naming the file when it is not one or does not fit.
TrainingState load_training_state(const std::string& path, std::vector<torch::Tensor>& params,
                                  torch::optim::Optimizer& optimizer, const torch::Device& device);

}  // namespace clear_sweep
