// RMU (Li et al., WMDP): steer the forget set's hidden states at one decoder layer to a
// fixed random control vector c of norm `steering`, and keep the retain set's hidden
// states where the teacher has them. Squared distances are averaged over real tokens and
// hidden units, as WMDP's mse_loss does.
#include "unlearn/rmu.h"

#include "common/error.h"
#include "unlearn/method_registry.h"

namespace clear_sweep {
namespace {

class Rmu : public UnlearnMethod {
 public:
  Rmu(int64_t layer, double steering, double alpha, int64_t hidden, uint64_t seed) : layer_(layer), alpha_(alpha) {
    // WMDP draws c uniformly in [0, 1)^d, then normalises and scales it.
    auto generator = at::detail::createCPUGenerator(seed);
    control_ = torch::rand({hidden}, generator, torch::kFloat);
    control_ = control_ / control_.norm() * steering;
  }
  std::string name() const override { return "rmu"; }

  const torch::Tensor& control() const { return control_; }

  torch::Tensor loss(Vlm& model, const MethodBatch& b, StepKind) override {
    const torch::Tensor forget_h = layer_states(model, b.forget);
    const torch::Tensor forget_mask = b.forget.attention_mask.unsqueeze(-1).to(forget_h.scalar_type());
    const torch::Tensor c = control_.to(forget_h.device(), forget_h.scalar_type());
    const torch::Tensor forget_term =
        ((forget_h - c).pow(2) * forget_mask).sum() / (forget_mask.sum() * forget_h.size(-1));

    torch::Tensor teacher_h;
    {
      torch::NoGradGuard no_grad;
      AdaptersDisabled teacher(model);
      teacher_h = layer_states(model, b.retain);
    }
    const torch::Tensor retain_h = layer_states(model, b.retain);
    const torch::Tensor retain_mask = b.retain.attention_mask.unsqueeze(-1).to(retain_h.scalar_type());
    const torch::Tensor retain_term =
        ((retain_h - teacher_h).pow(2) * retain_mask).sum() / (retain_mask.sum() * retain_h.size(-1));
    return forget_term + alpha_ * retain_term;
  }

 private:
  torch::Tensor layer_states(Vlm& model, const ModelInputs& in) {
    std::vector<torch::Tensor> states;
    model->hidden(in, {nullptr, &states});
    return states.at(size_t(layer_));
  }

  int64_t layer_;
  double alpha_;
  torch::Tensor control_;
};

/// Its layer is checked against the model's depth here: the catalog cannot know it.
std::unique_ptr<UnlearnMethod> make_rmu(const Job& job, const ModelConfig& config) {
  const int64_t layer = job.integer("layer");
  if (layer >= config.text.layers)
    throw Error(SourceLocation{}, "grid.hparams.rmu.layer",
                "layer " + std::to_string(layer) + " does not exist: the decoder has " +
                    std::to_string(config.text.layers) + " layers (0.." + std::to_string(config.text.layers - 1) + ")",
                "CLEAR's layer 7 is for 32-layer Llama-2; the tiny preset has 4");
  return std::make_unique<Rmu>(layer, job.real("steering"), job.real("alpha"), config.text.hidden,
                               uint64_t(job.seed) * 7919 + 17);
}

const MethodRegistration kRmu{"rmu", make_rmu};

}  // namespace

torch::Tensor rmu_control_vector(const UnlearnMethod& method) {
  const auto* rmu = dynamic_cast<const Rmu*>(&method);
  CS_ASSERT(rmu, "rmu_control_vector on another method");
  return rmu->control();
}

}  // namespace clear_sweep
