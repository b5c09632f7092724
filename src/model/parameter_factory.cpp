#include "model/parameter_factory.h"

namespace clear_sweep {
namespace {
thread_local ParameterPlacement current_placement;
}  // namespace

const ParameterPlacement& parameter_placement() { return current_placement; }

ParameterPlacementScope::ParameterPlacementScope(const ParameterPlacement& placement) : previous_(current_placement) {
  current_placement = placement;
}

ParameterPlacementScope::~ParameterPlacementScope() { current_placement = previous_; }

torch::Tensor make_parameter(torch::IntArrayRef shape, const ParameterInit& init) {
  const ParameterPlacement& p = current_placement;
  const auto options = torch::TensorOptions().dtype(p.dtype).device(p.device);
  if (!p.initialise) return torch::empty(shape, options);
  // Random draws are float32, on the CPU generator for a CPU model (a seed gives the
  // same model whatever the dtype) and on the device otherwise (a random 7B for a
  // benchmark is drawn in seconds there, not minutes on the host).
  const auto draw = torch::TensorOptions().dtype(torch::kFloat).device(p.device);
  torch::Tensor t;
  switch (init.kind) {
    case ParameterInit::Kind::zeros:
      return torch::zeros(shape, options);
    case ParameterInit::Kind::ones:
      return torch::ones(shape, options);
    case ParameterInit::Kind::normal:
      t = torch::randn(shape, draw) * init.scale;
      break;
    case ParameterInit::Kind::uniform:
      t = torch::rand(shape, draw) * (2 * init.scale) - init.scale;
      break;
  }
  return t.to(options);
}

}  // namespace clear_sweep
