// The training loop every method shares: fresh LoRA adapters on the shared base model,
// forget items in seeded epoch order each paired with a random retain item (as CLEAR
// pairs them), the modality's items only, AdamW on the adapters with one epoch of linear
// warm-up, gradient accumulation and clipping, L1 on the LoRA weights, and a clear
// failure when the loss stops being finite.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/items.h"
#include "data/tokenizer.h"
#include "model/model_inputs.h"
#include "unlearn/unlearn_method.h"

namespace clear_sweep {

struct EpochEnd {
  int64_t epoch = 0;  ///< 1-based
  double mean_loss = 0;
};

/// A search trial's training between rungs: a promoted trial
/// resumes from the adapters, gradients and AdamW state its last rung saved, so that
/// training e1 epochs, saving, and going on to e2 gives the same adapters as training
/// e2 epochs at once (bit for bit on the CPU; lora_dropout > 0 draws differently).
struct UnlearnContinuation {
  std::string resume_path;  ///< a state saved after `resume_epochs` epochs ("": start fresh)
  int64_t resume_epochs = 0;
  std::string save_path;  ///< where to save the state at the end ("": nowhere)
};

struct UnlearnReport {
  int64_t steps = 0;   ///< optimiser steps
  int64_t tokens = 0;  ///< tokens processed (every row of every forward pass, padding excluded)
  double seconds = 0;
  std::vector<double> epoch_loss;  ///< the epochs this call trained (after resume_epochs)
  int64_t resumed_epochs = 0;      ///< epochs the loaded state had trained (0: fresh)
};

/// Unlearns `forget` (paired with `retain`) by `method` with the job's training
/// hyperparameters. Leaves the trained adapters attached: evaluation runs next, and the
/// caller detaches them before the next job. `on_epoch` may evaluate (learning curves).
/// Running out of device memory throws c10::OutOfMemoryError with the adapters still
/// attached; the caller retries with a smaller micro-batch (oom_retry.h's oom_fit, a
/// fresh method each try), since each micro-batch's loss is divided by grad_accum:
/// the same job asked at that micro-batch and accumulation from the start.
/// `forget_reference`: per forget item, its answer's log-probability under an oracle
/// (forget_logprobs of the gold model), for a method that wants_oracle_reference().
UnlearnReport run_unlearning(Vlm& model, UnlearnMethod& method, const Job& job, const Tokenizer& tokenizer,
                             const Dataset& dataset, ImageTensors& images, const std::vector<ItemRef>& forget,
                             const std::vector<ItemRef>& retain,
                             const std::function<void(const EpochEnd&)>& on_epoch = {},
                             const UnlearnContinuation& continuation = {},
                             const std::vector<double>& forget_reference = {});

/// Each item's answer log-probability (summed over its answer tokens, as
/// sequence_logprob) under `model` as it is, in batches of `batch_size`: an oracle's
/// reference, computed once before unlearning since the oracle never changes.
std::vector<double> forget_logprobs(Vlm& model, const Tokenizer& tokenizer, const Dataset& dataset,
                                    ImageTensors& images, const std::vector<ItemRef>& items, int64_t batch_size = 16);

}  // namespace clear_sweep
