// The methods open-unlearning (locuslab) added after CLEAR's ten, each as its paper
// defines it: simnpo (reference-free, length-normalised NPO), undial (self-distillation
// on teacher logits with the true token lowered), ceu (cross entropy against the
// model's own distribution without the true token), wga and satimp (gradient ascent
// with each token weighted by its own detached probability), and pdu (a primal-dual
// update of the retain weight). Losses work on the answer tokens' distributions
// ([N, V]: N answer tokens in the batch). Where open-unlearning's code departs from the
// paper, the paper wins: SimNPO's margin is gamma (the code's beta x delta), and UNDIAL's
// and PDU's terms cover answer tokens only (the code's take every position, prompt and
// padding included).
#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "model/scoring.h"
#include "unlearn/method_registry.h"

namespace clear_sweep {
namespace {

/// Each answer token's NLL under the model: -log p(label). [N]
torch::Tensor label_nll(const torch::Tensor& logp, const torch::Tensor& labels) {
  return -logp.gather(1, labels.unsqueeze(1)).squeeze(1);
}

/// SimNPO (Fan et al., 2024): -(2/beta) log sigmoid(beta * mean NLL(a|f) - gamma) + CE(r),
/// the NLL averaged over each answer's own tokens; no reference model.
class SimNpo : public UnlearnMethod {
 public:
  SimNpo(double beta, double gamma) : beta_(beta), gamma_(gamma) {}
  std::string name() const override { return "simnpo"; }
  torch::Tensor loss(Vlm& model, const MethodBatch& b, StepKind) override {
    const torch::Tensor mean_nll = score_answers(model, b.forget).mean();  // [B]
    return -(2.0 / beta_) * torch::log_sigmoid(beta_ * mean_nll - gamma_).mean() + cross_entropy(model, b.retain);
  }

 private:
  double beta_, gamma_;
};

/// UNDIAL (Dong et al., 2024): the teacher's distribution with the true token's logit
/// lowered by beta is the target of a cross entropy on the forget answers; + CE(r).
class Undial : public UnlearnMethod {
 public:
  explicit Undial(double beta) : beta_(beta) {}
  std::string name() const override { return "undial"; }
  torch::Tensor loss(Vlm& model, const MethodBatch& b, StepKind) override {
    const torch::Tensor labels = answer_labels(b.forget);                    // [N]
    const torch::Tensor teacher = teacher_answer_logprobs(model, b.forget);  // [N, V]
    const torch::Tensor lowered = teacher - beta_ * torch::one_hot(labels, teacher.size(1)).to(teacher.dtype());
    const torch::Tensor target = torch::softmax(lowered, -1);  // [N, V]
    const torch::Tensor forget = -(target * answer_logprobs(model, b.forget)).sum(-1).mean();
    return forget + cross_entropy(model, b.retain);
  }

 private:
  double beta_;
};

/// CE-U (Yang et al., 2025): cross entropy against the model's own (detached)
/// distribution with the true token removed; the first `skip_first` answer tokens are
/// left out, as its paper's training settings do. The forget set only.
class CrossEntropyUnlearning : public UnlearnMethod {
 public:
  explicit CrossEntropyUnlearning(int64_t skip_first) : skip_first_(skip_first) {}
  std::string name() const override { return "ceu"; }
  torch::Tensor loss(Vlm& model, const MethodBatch& b, StepKind) override {
    const torch::Tensor keep = answer_positions(b.forget) >= skip_first_;  // [N]
    const torch::Tensor logp = answer_logprobs(model, b.forget).index({keep});
    const torch::Tensor labels = answer_labels(b.forget).index({keep});
    CS_ASSERT(logp.size(0) > 0, "ceu: no answer token after the skipped ones");
    const torch::Tensor without_truth =
        logp.detach().scatter(1, labels.unsqueeze(1), -std::numeric_limits<float>::infinity());
    const torch::Tensor target = torch::softmax(without_truth, -1);  // [N, V]
    return -(target * logp).sum(-1).mean();
  }

 private:
  int64_t skip_first_;
};

/// Token-weighted gradient ascent: -mean(w * NLL) over forget answer tokens with
/// detached weights w = p^beta1 (1 - p)^beta2, p the token's own probability, plus
/// retain_weight * CE(r). WGA (Wang et al., 2025) is beta2 = 0, retain_weight 1;
/// SatImp (Yang et al., 2025) both weights.
class WeightedAscent : public UnlearnMethod {
 public:
  WeightedAscent(std::string name, double beta1, double beta2, double retain_weight)
      : name_(std::move(name)), beta1_(beta1), beta2_(beta2), retain_weight_(retain_weight) {}
  std::string name() const override { return name_; }
  torch::Tensor loss(Vlm& model, const MethodBatch& b, StepKind) override {
    const torch::Tensor nll = label_nll(answer_logprobs(model, b.forget), answer_labels(b.forget));  // [N]
    const torch::Tensor p = (-nll).exp().detach();
    torch::Tensor weight = p.pow(beta1_);
    if (beta2_ != 0) weight = weight * (1 - p).pow(beta2_);
    return -(weight * nll).mean() + retain_weight_ * cross_entropy(model, b.retain);
  }

 private:
  std::string name_;
  double beta1_, beta2_, retain_weight_;
};

/// PDU (Entesari et al., 2025): minimise a forget loss subject to CE(r) <= eps, by a
/// primal step on F + lambda (CE(r) - eps) and a dual step lambda <- max(0, lambda +
/// dual_step (CE(r) - eps)) after each. F flattens the answer logits: the mean over
/// forget answer tokens of (max logit - mean logit)^2.
class PrimalDual : public UnlearnMethod {
 public:
  PrimalDual(double lambda, double eps, double dual_step) : lambda_(lambda), eps_(eps), dual_step_(dual_step) {}
  std::string name() const override { return "pdu"; }
  std::vector<double> state() const override { return {lambda_}; }
  void restore_state(const std::vector<double>& state) override {
    if (!state.empty()) lambda_ = state.front();
  }
  torch::Tensor loss(Vlm& model, const MethodBatch& b, StepKind) override {
    // log-softmax shifts every logit of a row equally: max - mean is the logits'.
    const torch::Tensor logp = answer_logprobs(model, b.forget);  // [N, V]
    const torch::Tensor forget = (std::get<0>(logp.max(-1)) - logp.mean(-1)).pow(2).mean();
    const torch::Tensor slack = cross_entropy(model, b.retain) - eps_;
    const torch::Tensor total = forget + lambda_ * slack;
    lambda_ = std::max(0.0, lambda_ + dual_step_ * slack.item<double>());
    return total;
  }

 private:
  double lambda_, eps_, dual_step_;
};

// Registered by name (method_registry.h).
const MethodRegistration kSimnpo{"simnpo", [](const Job& job, const ModelConfig&) -> std::unique_ptr<UnlearnMethod> {
  return std::make_unique<SimNpo>(job.real("beta"), job.real("gamma"));
}};
const MethodRegistration kUndial{"undial", [](const Job& job, const ModelConfig&) -> std::unique_ptr<UnlearnMethod> {
  return std::make_unique<Undial>(job.real("beta"));
}};
const MethodRegistration kCeu{"ceu", [](const Job& job, const ModelConfig&) -> std::unique_ptr<UnlearnMethod> {
  return std::make_unique<CrossEntropyUnlearning>(job.integer("skip_first"));
}};
const MethodRegistration kWga{"wga", [](const Job& job, const ModelConfig&) -> std::unique_ptr<UnlearnMethod> {
  return std::make_unique<WeightedAscent>("wga", job.real("beta"), 0.0, 1.0);
}};
const MethodRegistration kSatimp{"satimp", [](const Job& job, const ModelConfig&) -> std::unique_ptr<UnlearnMethod> {
  return std::make_unique<WeightedAscent>("satimp", job.real("beta1"), job.real("beta2"), job.real("retain_weight"));
}};
const MethodRegistration kPdu{"pdu", [](const Job& job, const ModelConfig&) -> std::unique_ptr<UnlearnMethod> {
  return std::make_unique<PrimalDual>(job.real("retain_weight"), job.real("retain_eps"), job.real("dual_step"));
}};

}  // namespace

}  // namespace clear_sweep
