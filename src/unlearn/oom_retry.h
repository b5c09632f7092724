// Out of GPU memory is not the end of a job. A training run that runs out is tried again
// from the start with half the micro-batch and twice the gradient accumulation (the same
// items per optimiser step), an evaluation with half its batches, down to batches of one;
// only when the smallest setting runs out too does the job fail, its error naming the
// memory asked for and what was free. The row says what was retried (ResultRecord's
// warnings). Between tries the failed try's tensors are dropped and the caching
// allocator's unused blocks handed back.
//
// Testing on the CPU: CLEAR_SWEEP_INJECT_OOM makes chosen batches throw the
// c10::OutOfMemoryError a GPU would, with a message shaped like CUDA's:
//   train:N   a training micro-batch of more than N forget rows runs out;
//   eval:N    an evaluation whose scoring batch or generation batch is above N runs out;
//   both, comma-separated: "train:2,eval:8". N = 0: nothing fits. Read once per process.
// Each injected error asks for 256 MiB per row of the batch, with 256 MiB per row of the
// limit free.
#pragma once

#include <c10/core/Device.h>
#include <c10/util/Exception.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace clear_sweep {

/// What an out-of-memory error says (bytes; -1 where it does not say).
struct OomFacts {
  double requested_bytes = -1;  ///< the allocation that failed
  double free_bytes = -1;       ///< free on the device when it failed
  double total_bytes = -1;      ///< the device's capacity
  std::string device;           ///< "GPU 0"
};

/// Parses the caching allocator's message, both forms: torch 2.1 on ("CUDA out of memory.
/// Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.19 GiB of which 1.00 GiB
/// is free. ...") and earlier ("Tried to allocate 20.00 MiB (GPU 0; 15.78 GiB total
/// capacity; 14.56 GiB already allocated; 3.44 MiB free; ...)").
OomFacts oom_facts(const std::string& message);
/// "2.00 GiB asked for, 1.00 GiB free of 79.19 GiB on GPU 0", leaving out what is not
/// known; "" when nothing is.
std::string oom_facts_text(const OomFacts& facts);
/// "2.00 GiB": bytes, KiB, MiB or GiB, as the caching allocator writes sizes (but 1 GiB
/// is "1.00 GiB", not "1024.00 MiB").
std::string oom_size_text(double bytes);

/// A torch error that means the device ran out of memory: c10::OutOfMemoryError, or a
/// CUDA or cuBLAS allocation failure raised as a plain c10::Error.
bool is_out_of_memory(const c10::Error& error);

/// A training run's batching: the job's batch_size and grad_accum.
struct TrainBatching {
  int64_t micro_batch = 8;  ///< forget items per forward pass (retain items pair 1:1)
  int64_t accum = 1;        ///< micro-batches per optimiser step
  bool operator==(const TrainBatching& o) const { return micro_batch == o.micro_batch && accum == o.accum; }
};
/// The next setting after running out: half the micro-batch, twice the accumulation (an
/// odd micro-batch goes to its largest proper divisor and the accumulation is multiplied
/// by the quotient), so micro_batch x accum stays the same. nullopt at micro-batch 1.
std::optional<TrainBatching> oom_smaller(const TrainBatching& b);
/// "micro-batch 2 x 4 accumulation"
std::string batching_text(const TrainBatching& b);

/// An evaluation's batching (eval/model_eval.h ScoreOptions).
struct EvalBatching {
  int64_t batch_size = 32;        ///< sequences per scoring forward pass
  int64_t generation_batch = 64;  ///< prompts decoded together
  bool operator==(const EvalBatching& o) const {
    return batch_size == o.batch_size && generation_batch == o.generation_batch;
  }
};
/// Both halved (at least 1); nullopt when both are 1. Batching changes no score.
std::optional<EvalBatching> oom_smaller(const EvalBatching& b);
/// "evaluation batch 16, generation batch 32"
std::string batching_text(const EvalBatching& b);

/// Runs `attempt` at `start`; when it runs out of device memory (is_out_of_memory),
/// calls `cleanup` (drop what the try left attached), hands the allocator's unused
/// memory back, and runs it again at oom_smaller, until one fits. Returns the setting
/// that fitted. `what` names the stage ("training", "evaluation"). After a retry,
/// `warning` says so ("out of GPU memory in training: retried with micro-batch 2 x 4
/// accumulation (8 x 1 and 4 x 2 ran out: ...)"); `on_retry`, if given, hears each retry
/// as it starts. When the smallest setting runs out too: std::runtime_error naming the
/// memory asked for and free, every setting tried, and a hint. Other errors pass through.
TrainBatching oom_fit(const TrainBatching& start, c10::Device device, const std::string& what,
                      const std::function<void(const TrainBatching&)>& attempt, const std::function<void()>& cleanup,
                      std::string& warning, const std::function<void(const std::string&)>& on_retry = {});
EvalBatching oom_fit(const EvalBatching& start, c10::Device device, const std::string& what,
                     const std::function<void(const EvalBatching&)>& attempt, const std::function<void()>& cleanup,
                     std::string& warning, const std::function<void(const std::string&)>& on_retry = {});

/// Hands the caching allocator's unused blocks back to the driver (CUDA's emptyCache);
/// nothing on the CPU.
void oom_release(c10::Device device);

/// CLEAR_SWEEP_INJECT_OOM, parsed: the largest batch that fits (-1: no limit).
struct OomInjection {
  int64_t train_rows = -1;
  int64_t eval_rows = -1;
};
/// "train:4,eval:8"; Error naming CLEAR_SWEEP_INJECT_OOM for anything else.
OomInjection oom_injection_parse(const std::string& text);
/// The process's injection, read from the environment on first use.
const OomInjection& oom_injection();
/// Replaces it (tests).
void oom_injection_set(const OomInjection& injection);
/// Throws c10::OutOfMemoryError shaped like CUDA's when `rows` is above `limit` (>= 0);
/// `what` names the batch in the message ("a training micro-batch").
void oom_inject(const std::string& what, int64_t rows, int64_t limit);

}  // namespace clear_sweep
