// The teacher-matching family: kl (-CE(f) + KL(teacher || theta) on r), scrub (max steps
// push theta away from the teacher on f, min steps pull it back on r), llmu (-CE(f) +
// CE on random answers + KL(theta || teacher) on r).
#include "unlearn/method_registry.h"

namespace clear_sweep {
namespace {

class Kl : public UnlearnMethod {
 public:
  std::string name() const override { return "kl"; }
  torch::Tensor loss(Vlm& model, const MethodBatch& b, StepKind) override {
    const torch::Tensor teacher = teacher_answer_logprobs(model, b.retain);
    return -cross_entropy(model, b.forget) + kl_divergence(teacher, answer_logprobs(model, b.retain));
  }
};

/// SCRUB (Kurmanji et al.): epochs below max_epochs run a pass of max steps over the
/// forget batches, then min steps; later epochs run min steps only.
class Scrub : public UnlearnMethod {
 public:
  Scrub(int64_t max_epochs, double alpha, double gamma) : max_epochs_(max_epochs), alpha_(alpha), gamma_(gamma) {}
  std::string name() const override { return "scrub"; }
  std::vector<StepKind> epoch_steps(int64_t epoch) const override {
    if (epoch < max_epochs_) return {StepKind::max_forget, StepKind::min_retain};
    return {StepKind::min_retain};
  }
  torch::Tensor loss(Vlm& model, const MethodBatch& b, StepKind kind) override {
    if (kind == StepKind::max_forget) {
      const torch::Tensor teacher = teacher_answer_logprobs(model, b.forget);
      return -kl_divergence(answer_logprobs(model, b.forget), teacher);
    }
    const torch::Tensor teacher = teacher_answer_logprobs(model, b.retain);
    return alpha_ * kl_divergence(answer_logprobs(model, b.retain), teacher) + gamma_ * cross_entropy(model, b.retain);
  }

 private:
  int64_t max_epochs_;
  double alpha_, gamma_;
};

class Llmu : public UnlearnMethod {
 public:
  Llmu(double forget_weight, double random_weight, double retain_weight)
      : forget_weight_(forget_weight), random_weight_(random_weight), retain_weight_(retain_weight) {}
  std::string name() const override { return "llmu"; }
  AltAnswers alt_answers() const override { return AltAnswers::random_answers; }
  torch::Tensor loss(Vlm& model, const MethodBatch& b, StepKind) override {
    const torch::Tensor teacher = teacher_answer_logprobs(model, b.retain);
    return -forget_weight_ * cross_entropy(model, b.forget) + random_weight_ * cross_entropy(model, b.forget_alt) +
           retain_weight_ * kl_divergence(answer_logprobs(model, b.retain), teacher);
  }

 private:
  double forget_weight_, random_weight_, retain_weight_;
};

// Registered by name (method_registry.h).
const MethodRegistration kKl{"kl", [](const Job&, const ModelConfig&) -> std::unique_ptr<UnlearnMethod> {
  return std::make_unique<Kl>();
}};
const MethodRegistration kScrub{"scrub", [](const Job& job, const ModelConfig&) -> std::unique_ptr<UnlearnMethod> {
  return std::make_unique<Scrub>(job.integer("max_epochs"), job.real("alpha"), job.real("gamma"));
}};
const MethodRegistration kLlmu{"llmu", [](const Job& job, const ModelConfig&) -> std::unique_ptr<UnlearnMethod> {
  return std::make_unique<Llmu>(job.real("forget_weight"), job.real("random_weight"), job.real("retain_weight"));
}};

}  // namespace

}  // namespace clear_sweep
