#include "model/activation_checkpointing.h"

#include <ATen/autocast_mode.h>

#include <mutex>
#include <optional>

#include "model/autocast.h"

namespace clear_sweep {
namespace {

/// The tensors a layer trains: its registered parameters that want gradients (a full
/// finetune) and its LoRA adapters (held, not registered).
std::vector<torch::Tensor> trainable_tensors(torch::nn::Module& layer) {
  std::vector<torch::Tensor> out;
  for (const auto& p : layer.parameters())
    if (p.requires_grad()) out.push_back(p);
  for (const auto& m : layer.modules(false))
    if (auto* linear = dynamic_cast<LoraLinearImpl*>(m.get()); linear && linear->has_adapter())
      for (torch::Tensor* t : {&linear->lora_a(), &linear->lora_b()})
        if (t->requires_grad()) out.push_back(*t);
  return out;
}

/// The default random generator of a device: checkpointing replays its state so LoRA
/// dropout draws the same mask in the recomputation.
at::Generator generator_of(const torch::Device& device) { return at::globalContext().defaultGenerator(device); }

torch::Tensor generator_state(const torch::Device& device) {
  at::Generator g = generator_of(device);
  std::lock_guard<std::mutex> lock(g.mutex());
  return g.get_state();
}

void set_generator_state(const torch::Device& device, const torch::Tensor& state) {
  at::Generator g = generator_of(device);
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_state(state);
}

/// One decoder layer under activation checkpointing. Inputs: the hidden states x (the
/// only activation kept) and the layer's trainable tensors (so their gradients come
/// back through this node); the layer, rotary tables and mask ride along in saved_data.
class CheckpointedLayer : public torch::autograd::Function<CheckpointedLayer> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, at::TensorList trainable,
                               LlamaLayerImpl* layer, const torch::Tensor& cos, const torch::Tensor& sin,
                               const std::optional<torch::Tensor>& mask) {
    // An undefined tensor cannot be a Function input; "no mask" travels as nullopt.
    const torch::Tensor allowed = mask.value_or(torch::Tensor());
    std::vector<torch::Tensor> saved{x};
    saved.insert(saved.end(), trainable.begin(), trainable.end());
    ctx->save_for_backward(saved);
    ctx->saved_data["layer"] = int64_t(reinterpret_cast<intptr_t>(layer));  // outlives the graph
    ctx->saved_data["cos"] = cos;
    ctx->saved_data["sin"] = sin;
    ctx->saved_data["allowed"] = allowed;
    ctx->saved_data["autocast"] = at::autocast::is_autocast_enabled(at::kCUDA);
    ctx->saved_data["rng"] = generator_state(x.device());
    return layer->forward(x, cos, sin, allowed, nullptr, 0);  // grad mode is off in here
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_out) {
    const auto saved = ctx->get_saved_variables();
    auto* layer = reinterpret_cast<LlamaLayerImpl*>(intptr_t(ctx->saved_data["layer"].toInt()));
    const torch::Tensor x = saved[0].detach().requires_grad_(true);
    std::vector<torch::Tensor> inputs{x};
    inputs.insert(inputs.end(), saved.begin() + 1, saved.end());
    const torch::Tensor allowed = ctx->saved_data["allowed"].toTensor();
    const torch::Device device = x.device();
    const torch::Tensor rng_now = generator_state(device);
    set_generator_state(device, ctx->saved_data["rng"].toTensor());
    torch::Tensor out;
    {
      torch::AutoGradMode grad(true);
      AutocastScope autocast(device, ctx->saved_data["autocast"].toBool());
      out =
          layer->forward(x, ctx->saved_data["cos"].toTensor(), ctx->saved_data["sin"].toTensor(), allowed, nullptr, 0);
    }
    set_generator_state(device, rng_now);
    const auto grads = torch::autograd::grad({out}, inputs, {grad_out[0]}, false, false, /*allow_unused=*/true);
    // One entry per forward argument: x, each trainable tensor, then the four riders.
    torch::autograd::variable_list result(grads.begin(), grads.end());
    result.resize(result.size() + 4);
    return result;
  }
};

}  // namespace

torch::Tensor checkpointed_layer_forward(LlamaLayerImpl& layer, const torch::Tensor& x, const torch::Tensor& cos,
                                         const torch::Tensor& sin, const torch::Tensor& allowed) {
  // As a TensorList, not a vector: only that type makes each tensor a Function input.
  const std::vector<torch::Tensor> trainable = trainable_tensors(layer);
  return CheckpointedLayer::apply(x, at::TensorList(trainable), &layer, cos, sin,
                                  allowed.defined() ? std::optional<torch::Tensor>(allowed) : std::nullopt);
}

}  // namespace clear_sweep
