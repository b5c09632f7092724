#include "model/cuda_decode.h"

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "common/error.h"

#ifdef CLEAR_SWEEP_WITH_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace clear_sweep {

#ifdef CLEAR_SWEEP_WITH_CUDA

struct DecodeGraph::State {
  at::cuda::CUDAGraph graph;
};

bool DecodeGraph::available(const torch::Device& device) {
  const char* env = std::getenv("CLEAR_SWEEP_CUDA_GRAPHS");
  return device.is_cuda() && !(env && std::strcmp(env, "0") == 0);
}

DecodeGraph::DecodeGraph(const std::function<void()>& step, const DecodeGraph* share_pool)
    : state_(std::make_unique<State>()) {
  const c10::cuda::CUDAStream current = c10::cuda::getCurrentCUDAStream();
  const c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool();
  // The side stream starts after everything queued so far (the prefill, the last step).
  at::cuda::CUDAEvent ready;
  ready.record(current);
  ready.block(side);
  bool failed = false;  // a capture that failed, after the warm-up ran
  std::string failure;
  {
    c10::cuda::CUDAStreamGuard guard(side);
    step();  // the warm-up: a real step
    // Capture records the kernels and their pointers; none runs, so the state the step
    // reads and writes is as the warm-up left it.
    bool capturing = false;
    try {
      state_->graph.capture_begin(share_pool ? share_pool->state_->graph.pool() : at::cuda::MempoolId_t{0, 0});
      capturing = true;
      step();
      capturing = false;
      state_->graph.capture_end();
    } catch (const std::exception& e) {
      failed = true;
      failure = e.what();
      if (capturing) {
        try {
          state_->graph.capture_end();  // ends the stream's capture and the pool's use
        } catch (const std::exception&) {
        }
      }
    }
  }
  // The current stream goes on after the warm-up, whether or not the capture took.
  at::cuda::CUDAEvent done;
  done.record(side);
  done.block(current);
  if (failed) throw GraphCaptureError(failure);
}

void DecodeGraph::replay() { state_->graph.replay(); }

struct AsyncHostCopy::State {
  torch::Tensor host;  ///< pinned
  std::optional<at::cuda::CUDAEvent> copied;
};

void AsyncHostCopy::start(const torch::Tensor& source) {
  if (!source.is_cuda()) {
    state_->host = source.to(torch::kCPU).clone();
    state_->copied.reset();
    return;
  }
  state_->host = torch::empty(source.sizes(), source.options().device(torch::kCPU).pinned_memory(true));
  state_->host.copy_(source, /*non_blocking=*/true);
  state_->copied.emplace();
  state_->copied->record(c10::cuda::getCurrentCUDAStream());
}

bool AsyncHostCopy::pending() const { return state_->host.defined(); }

torch::Tensor AsyncHostCopy::wait() {
  CS_ASSERT(state_->host.defined(), "AsyncHostCopy::wait with no copy started");
  if (state_->copied) state_->copied->synchronize();
  state_->copied.reset();
  return std::exchange(state_->host, torch::Tensor());
}

#else  // a CPU build: no graphs; the copy is a plain one

struct DecodeGraph::State {};

bool DecodeGraph::available(const torch::Device&) { return false; }

DecodeGraph::DecodeGraph(const std::function<void()>&, const DecodeGraph*) {
  throw InternalError("CUDA graphs need a CUDA-enabled build (DecodeGraph::available says false)");
}

void DecodeGraph::replay() {}

struct AsyncHostCopy::State {
  torch::Tensor host;
};

void AsyncHostCopy::start(const torch::Tensor& source) { state_->host = source.to(torch::kCPU).clone(); }

bool AsyncHostCopy::pending() const { return state_->host.defined(); }

torch::Tensor AsyncHostCopy::wait() {
  CS_ASSERT(state_->host.defined(), "AsyncHostCopy::wait with no copy started");
  return std::exchange(state_->host, torch::Tensor());
}

#endif

DecodeGraph::~DecodeGraph() = default;
AsyncHostCopy::AsyncHostCopy() : state_(std::make_unique<State>()) {}
AsyncHostCopy::~AsyncHostCopy() = default;

}  // namespace clear_sweep
