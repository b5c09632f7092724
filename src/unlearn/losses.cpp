#include "unlearn/losses.h"

#include "data/batch.h"
#include "model/scoring.h"

namespace clear_sweep {

torch::Tensor cross_entropy(Vlm& model, const ModelInputs& in) {
  const AnswerScores s = score_answers(model, in);
  return s.sum_nll.sum() / s.tokens.sum().clamp_min(1);
}

torch::Tensor sequence_logprob(Vlm& model, const ModelInputs& in) { return -score_answers(model, in).sum_nll; }

torch::Tensor teacher_sequence_logprob(Vlm& model, const ModelInputs& in) {
  torch::NoGradGuard no_grad;
  AdaptersDisabled teacher(model);
  return sequence_logprob(model, in);
}

torch::Tensor answer_logprobs(Vlm& model, const ModelInputs& in) {
  return torch::log_softmax(labelled_logits(model, in).logits.to(torch::kFloat), -1);
}

torch::Tensor teacher_answer_logprobs(Vlm& model, const ModelInputs& in) {
  torch::NoGradGuard no_grad;
  AdaptersDisabled teacher(model);
  return answer_logprobs(model, in);
}

namespace {

/// [B, T-1]: true where position t+1 holds an answer label (the positions answer_logprobs keeps).
torch::Tensor labelled_mask(const ModelInputs& in) {
  const int64_t t = in.labels.size(1);
  return in.labels.narrow(1, 1, t - 1) != kIgnoreLabel;
}

}  // namespace

torch::Tensor answer_labels(const ModelInputs& in) {
  const int64_t t = in.labels.size(1);
  return in.labels.narrow(1, 1, t - 1).index({labelled_mask(in)});
}

torch::Tensor answer_positions(const ModelInputs& in) {
  const torch::Tensor mask = labelled_mask(in);
  return (mask.to(torch::kLong).cumsum(1) - 1).index({mask});
}

torch::Tensor kl_divergence(const torch::Tensor& log_p, const torch::Tensor& log_q) {
  return (log_p.exp() * (log_p - log_q)).sum(-1).mean();
}

torch::Tensor l1_norm(const std::vector<torch::Tensor>& weights) {
  torch::Tensor total = torch::zeros({}, weights.empty() ? torch::TensorOptions() : weights.front().options());
  for (const auto& w : weights) total = total + w.abs().sum();
  return total;
}

}  // namespace clear_sweep
