// The gradient family: retain_ft (CE(r)), ga (-CE(f)), gd (CE(r) - w CE(f), or with
// `sequential` a pass of -w CE(f) steps then a pass of CE(r) steps: MLLMU-Bench's GA_Difference).
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
  GradientDifference(double forget_weight, bool sequential) : forget_weight_(forget_weight), sequential_(sequential) {}
  std::string name() const override { return "gd"; }
  std::vector<StepKind> epoch_steps(int64_t /*epoch*/) const override {
    if (sequential_) return {StepKind::max_forget, StepKind::min_retain};
    return {StepKind::joint};
  }
  torch::Tensor loss(Vlm& model, const MethodBatch& b, StepKind kind) override {
    if (kind == StepKind::max_forget) return -forget_weight_ * cross_entropy(model, b.forget);
    if (kind == StepKind::min_retain) return cross_entropy(model, b.retain);
    return cross_entropy(model, b.retain) - forget_weight_ * cross_entropy(model, b.forget);
  }

 private:
  double forget_weight_;
  bool sequential_;
};

}  // namespace

std::unique_ptr<UnlearnMethod> make_gradient_method(const Job& job) {
  if (job.method == "retain_ft") return std::make_unique<RetainFinetune>();
  if (job.method == "ga") return std::make_unique<GradientAscent>();
  if (job.method == "gd")
    return std::make_unique<GradientDifference>(job.real("forget_weight"), job.integer("sequential") == 1);
  return nullptr;
}

}  // namespace clear_sweep
