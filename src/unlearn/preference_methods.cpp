// The preference family: idk (CE on refusals + CE(r)), dpo (refusal preferred over the
// true answer, against the frozen teacher), npo (the true answer dispreferred alone).
#include <cmath>

#include "common/error.h"
#include "unlearn/method_registry.h"

namespace clear_sweep {
namespace {

class Idk : public UnlearnMethod {
 public:
  std::string name() const override { return "idk"; }
  AltAnswers alt_answers() const override { return AltAnswers::refusals; }
  torch::Tensor loss(Vlm& model, const MethodBatch& b, StepKind) override {
    return cross_entropy(model, b.forget_alt) + cross_entropy(model, b.retain);
  }
};

/// -(2/beta) log sigmoid(beta [(log p(idk|f) - log p0(idk|f)) - (log p(a|f) - log p0(a|f))]) + CE(r).
class Dpo : public UnlearnMethod {
 public:
  explicit Dpo(double beta) : beta_(beta) {}
  std::string name() const override { return "dpo"; }
  AltAnswers alt_answers() const override { return AltAnswers::refusals; }
  torch::Tensor loss(Vlm& model, const MethodBatch& b, StepKind) override {
    const torch::Tensor chosen = sequence_logprob(model, b.forget_alt) - teacher_sequence_logprob(model, b.forget_alt);
    const torch::Tensor rejected = sequence_logprob(model, b.forget) - teacher_sequence_logprob(model, b.forget);
    const torch::Tensor preference = -(2.0 / beta_) * torch::log_sigmoid(beta_ * (chosen - rejected)).mean();
    return preference + cross_entropy(model, b.retain);
  }

 private:
  double beta_;
};

/// -(2/beta) log sigmoid(-beta (log p(a|f) - log p0(a|f))) + CE(r), sequence level. p0 is
/// the teacher (the model before unlearning), or with `gold_reference` the gold model
/// (MLLMU-Bench's NPO: its oracle is finetuned on the retain set only).
class Npo : public UnlearnMethod {
 public:
  Npo(double beta, bool gold_reference) : beta_(beta), gold_reference_(gold_reference) {}
  std::string name() const override { return "npo"; }
  bool wants_oracle_reference() const override { return gold_reference_; }
  torch::Tensor loss(Vlm& model, const MethodBatch& b, StepKind) override {
    CS_ASSERT(!gold_reference_ || b.forget_reference.defined(), "npo with gold_reference needs the gold log-probs");
    const torch::Tensor reference =
        gold_reference_ ? b.forget_reference : teacher_sequence_logprob(model, b.forget);  // [B]
    const torch::Tensor ratio = sequence_logprob(model, b.forget) - reference;
    return -(2.0 / beta_) * torch::log_sigmoid(-beta_ * ratio).mean() + cross_entropy(model, b.retain);
  }

 private:
  double beta_;
  bool gold_reference_;
};

// Registered by name (method_registry.h).
const MethodRegistration kIdk{"idk", [](const Job&, const ModelConfig&) -> std::unique_ptr<UnlearnMethod> {
  return std::make_unique<Idk>();
}};
const MethodRegistration kDpo{"dpo", [](const Job& job, const ModelConfig&) -> std::unique_ptr<UnlearnMethod> {
  return std::make_unique<Dpo>(job.real("beta"));
}};
const MethodRegistration kNpo{"npo", [](const Job& job, const ModelConfig&) -> std::unique_ptr<UnlearnMethod> {
  return std::make_unique<Npo>(job.real("beta"), job.integer("gold_reference") == 1);
}};

}  // namespace

}  // namespace clear_sweep
