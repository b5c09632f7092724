// Where and how a model's parameters are made while it is being built. By default they
// are float32 on the CPU with their random initialisation (a model trained from
// scratch). A checkpoint load builds the model under a ParameterPlacement of the stored
// dtype, on the target device, without initialisation: a 7B model is then allocated
// once, where it will live, in bf16, and filled from the file. It is never
// materialised in float32 in host memory, nor randomly initialised to be overwritten.
#pragma once

#include <torch/torch.h>

namespace clear_sweep {

struct ParameterPlacement {
  torch::ScalarType dtype = torch::kFloat;
  torch::Device device = torch::kCPU;
  bool initialise = true;  ///< false: uninitialised memory, to be overwritten by a load
};

/// The placement in force on this thread.
const ParameterPlacement& parameter_placement();

/// Sets the placement for a scope (nests; restores the previous one).
class ParameterPlacementScope {
 public:
  explicit ParameterPlacementScope(const ParameterPlacement& placement);
  ~ParameterPlacementScope();
  ParameterPlacementScope(const ParameterPlacementScope&) = delete;
  ParameterPlacementScope& operator=(const ParameterPlacementScope&) = delete;

 private:
  ParameterPlacement previous_;
};

/// How a fresh parameter is initialised (when the placement initialises at all).
struct ParameterInit {
  enum class Kind { zeros, ones, normal, uniform } kind = Kind::zeros;
  double scale = 0;  ///< normal: the standard deviation; uniform: the bound b of U(-b, b)

  static ParameterInit zeros() { return {Kind::zeros, 0}; }
  static ParameterInit ones() { return {Kind::ones, 0}; }
  static ParameterInit normal(double std) { return {Kind::normal, std}; }
  static ParameterInit uniform(double bound) { return {Kind::uniform, bound}; }
};

/// A tensor of `shape` under the current placement, initialised by `init` (or left
/// uninitialised when the placement says so).
torch::Tensor make_parameter(torch::IntArrayRef shape, const ParameterInit& init);

}  // namespace clear_sweep
