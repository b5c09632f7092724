// The gradient family: retain_ft (CE(r)), ga (-CE(f)), gd (R(r) - w F(f), CE for both by
// default; CLEAR's variants and MLLMU-Bench's sequential GA_Difference as options).
#include "sweep/method_catalog.h"
#include "unlearn/method_registry.h"

namespace clear_sweep {
namespace {

class RetainFinetune : public UnlearnMethod {
 public:
  std::string name() const override { return "retain_ft"; }
  torch::Tensor loss(Vlm& model, const MethodBatch& b, StepKind) override { return cross_entropy(model, b.retain); }
};

class GradientAscent : public UnlearnMethod {
 public:
  std::string name() const override { return "ga"; }
  torch::Tensor loss(Vlm& model, const MethodBatch& b, StepKind) override { return -cross_entropy(model, b.forget); }
};

/// Gradient difference: -w F(f) + R(r). F is CE (gradient ascent), the entropy of the
/// answer distributions, or KL(teacher || theta) on f; R is CE or KL(teacher || theta)
/// on r: CLEAR's grad_diff variants. With `sequential`, each epoch is a pass of -w F
/// steps, then a pass of R steps (MLLMU-Bench's GA_Difference).
class GradientDifference : public UnlearnMethod {
 public:
  GradientDifference(double forget_weight, bool sequential, int64_t forget_term, int64_t retain_term)
      : forget_weight_(forget_weight), sequential_(sequential), forget_term_(forget_term), retain_term_(retain_term) {}
  std::string name() const override { return "gd"; }
  std::vector<StepKind> epoch_steps(int64_t /*epoch*/) const override {
    if (sequential_) return {StepKind::max_forget, StepKind::min_retain};
    return {StepKind::joint};
  }
  torch::Tensor loss(Vlm& model, const MethodBatch& b, StepKind kind) override {
    if (kind == StepKind::max_forget) return -forget_weight_ * forget_term(model, b.forget);
    if (kind == StepKind::min_retain) return retain_term(model, b.retain);
    return retain_term(model, b.retain) - forget_weight_ * forget_term(model, b.forget);
  }

 private:
  torch::Tensor forget_term(Vlm& model, const ModelInputs& f) const {
    if (forget_term_ == kForgetEntropy) {
      // Mean over answer tokens of H(p) = -sum p log p: ascending it spreads the answers out.
      const torch::Tensor logp = answer_logprobs(model, f);  // [N, V]
      return -(logp.exp() * logp).sum(-1).mean();
    }
    if (forget_term_ == kForgetKl) return kl_divergence(teacher_answer_logprobs(model, f), answer_logprobs(model, f));
    return cross_entropy(model, f);
  }
  torch::Tensor retain_term(Vlm& model, const ModelInputs& r) const {
    if (retain_term_ == kRetainKl) return kl_divergence(teacher_answer_logprobs(model, r), answer_logprobs(model, r));
    return cross_entropy(model, r);
  }

  double forget_weight_;
  bool sequential_;
  int64_t forget_term_, retain_term_;
};

// Registered by name (method_registry.h).
const MethodRegistration kRetainFt{"retain_ft", [](const Job&, const ModelConfig&) -> std::unique_ptr<UnlearnMethod> {
  return std::make_unique<RetainFinetune>();
}};
const MethodRegistration kGa{"ga", [](const Job&, const ModelConfig&) -> std::unique_ptr<UnlearnMethod> {
  return std::make_unique<GradientAscent>();
}};
const MethodRegistration kGd{"gd", [](const Job& job, const ModelConfig&) -> std::unique_ptr<UnlearnMethod> {
  return std::make_unique<GradientDifference>(job.real("forget_weight"), job.integer("sequential") == 1,
                                                 job.integer("forget_term"), job.integer("retain_term"));
}};

}  // namespace

}  // namespace clear_sweep
