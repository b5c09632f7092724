// The gradient family: retain_ft (CE(r)), ga (-CE(f)), gd (CE(r) - w CE(f)).
#include "unlearn/method_family.h"

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

class GradientDifference : public UnlearnMethod {
 public:
  explicit GradientDifference(double forget_weight) : forget_weight_(forget_weight) {}
  std::string name() const override { return "gd"; }
  torch::Tensor loss(Vlm& model, const MethodBatch& b, StepKind) override {
    return cross_entropy(model, b.retain) - forget_weight_ * cross_entropy(model, b.forget);
  }

 private:
  double forget_weight_;
};

}  // namespace

std::unique_ptr<UnlearnMethod> make_gradient_method(const Job& job) {
  if (job.method == "retain_ft") return std::make_unique<RetainFinetune>();
  if (job.method == "ga") return std::make_unique<GradientAscent>();
  if (job.method == "gd") return std::make_unique<GradientDifference>(job.real("forget_weight"));
  return nullptr;
}

}  // namespace clear_sweep
