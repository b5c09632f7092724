// The CUDA pieces of greedy decoding (greedy_decoder.h), behind an interface that builds
// without CUDA: a decode step captured once as a CUDA graph and replayed, and the
// asynchronous copy that brings the rows' finished flags to the host without a sync.
// Off CUDA (or in a CPU build) a graph is never made and the copy is a plain one.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <stdexcept>

namespace clear_sweep {

/// A capture that failed after its warm-up step ran (so that step is done): the decoder
/// goes on without graphs.
class GraphCaptureError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A decode step as a CUDA graph: launched by one call, the host out of the loop. The
/// step must read and write only tensors that outlive the graph (its inputs updated in
/// place), sync nothing with the host and keep every shape.
class DecodeGraph {
 public:
  /// Whether graphs are captured for `device`: a CUDA-enabled build, a CUDA device, and
  /// CLEAR_SWEEP_CUDA_GRAPHS not "0".
  static bool available(const torch::Device& device);
  /// Runs `step` once for real on a side stream (the warm-up: cuBLAS handles, kernel
  /// choice, the allocator's first blocks), then captures it; nothing runs at capture.
  /// `share_pool`: an earlier graph whose private memory pool this one shares (graphs
  /// captured in order and replayed one at a time may). Throws GraphCaptureError where
  /// the capture fails (an operator that syncs or is not capturable).
  DecodeGraph(const std::function<void()>& step, const DecodeGraph* share_pool);
  ~DecodeGraph();
  DecodeGraph(const DecodeGraph&) = delete;
  DecodeGraph& operator=(const DecodeGraph&) = delete;
  void replay();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// A small device tensor copied to pinned host memory on the current stream, read later:
/// start() queues the copy, done() says whether it has landed, wait() blocks until it has
/// and gives the host copy. On the CPU the copy is made at once.
class AsyncHostCopy {
 public:
  AsyncHostCopy();
  ~AsyncHostCopy();
  AsyncHostCopy(const AsyncHostCopy&) = delete;
  AsyncHostCopy& operator=(const AsyncHostCopy&) = delete;
  void start(const torch::Tensor& source);
  bool pending() const;
  torch::Tensor wait();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace clear_sweep
