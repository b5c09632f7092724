#include "model/scoring.h"

#include <algorithm>
#include <limits>

#include "data/batch.h"

namespace clear_sweep {

torch::Tensor token_nll(const torch::Tensor& logits, const torch::Tensor& labels) {
  const int64_t t = logits.size(1);
  const torch::Tensor shifted_logits = logits.narrow(1, 0, t - 1).to(torch::kFloat);
  const torch::Tensor shifted_labels = labels.narrow(1, 1, t - 1);
  const torch::Tensor nll = torch::nn::functional::cross_entropy(
      shifted_logits.reshape({-1, shifted_logits.size(-1)}), shifted_labels.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnoreLabel).reduction(torch::kNone));
  return nll.view(shifted_labels.sizes());
}

AnswerScores answer_scores(const torch::Tensor& logits, const torch::Tensor& labels) {
  const torch::Tensor nll = token_nll(logits, labels);
  const torch::Tensor counted = (labels.narrow(1, 1, labels.size(1) - 1) != kIgnoreLabel).to(torch::kFloat);
  return {(nll * counted).sum(1), counted.sum(1)};
}

LabelledLogits labelled_logits(Vlm& model, const ModelInputs& inputs, const ForwardOptions& options) {
  const torch::Tensor hidden = model->hidden(inputs, options);
  const int64_t rows = hidden.size(0), t = hidden.size(1);
  const torch::Tensor targets = inputs.labels.narrow(1, 1, t - 1);
  const torch::Tensor labelled = targets != kIgnoreLabel;  // [B, T-1]
  LabelledLogits l;
  l.logits = model->logits(hidden.narrow(1, 0, t - 1).index({labelled}));
  l.labels = targets.index({labelled});
  l.row = torch::arange(rows, targets.options()).unsqueeze(1).expand({rows, t - 1}).index({labelled});
  l.count = labelled.sum(1).to(torch::kFloat);
  return l;
}

AnswerScores score_answers(Vlm& model, const ModelInputs& inputs, const ForwardOptions& options) {
  const LabelledLogits l = labelled_logits(model, inputs, options);
  const torch::Tensor nll = torch::nn::functional::cross_entropy(
      l.logits.to(torch::kFloat), l.labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  const torch::Tensor sums = torch::zeros({l.count.size(0)}, nll.options()).index_add(0, l.row, nll);
  return {sums, l.count};
}

AnswerTokenScores score_answer_tokens(Vlm& model, const ModelInputs& inputs) {
  const LabelledLogits l = labelled_logits(model, inputs);
  const torch::Tensor logp = torch::log_softmax(l.logits.to(torch::kFloat), -1);  // [N, V]
  AnswerTokenScores s;
  s.row = l.row;
  s.logprob = logp.gather(1, l.labels.unsqueeze(1)).squeeze(1);
  s.correct = logp.argmax(-1) == l.labels;
  const torch::Tensor p = logp.exp();
  s.mean_logprob = (p * logp).sum(-1);
  s.var_logprob = (p * logp.square()).sum(-1) - s.mean_logprob.square();
  s.sums = {torch::zeros({l.count.size(0)}, logp.options()).index_add(0, l.row, -s.logprob), l.count};
  return s;
}

std::vector<std::vector<int32_t>> generate_greedy(Vlm& model, const ModelInputs& prompts,
                                                  const GenerateOptions& options) {
  if (options.use_cache && options.static_cache) return GreedyDecoder(model, options).generate(prompts);
  // The reference: one host-driven step at a time, over the growing cache or none.
  torch::NoGradGuard no_grad;
  const int64_t rows = prompts.input_ids.size(0);
  std::vector<std::vector<int32_t>> out(static_cast<size_t>(rows));
  std::vector<bool> done(static_cast<size_t>(rows), false);
  KvCache cache;
  ModelInputs step = prompts;
  ModelInputs full = prompts;  // the whole sequence so far (the no-cache path)
  torch::Tensor next_position = std::get<0>(prompts.position_ids.max(1)) + 1;  // [B]
  std::vector<int64_t> banned_ids;  // -1: none (a text-only model has no image token)
  if (model->config().image_token_id >= 0) banned_ids.push_back(model->config().image_token_id);
  if (model->config().pad_token_id >= 0) banned_ids.push_back(model->config().pad_token_id);
  const torch::Tensor banned = torch::tensor(banned_ids, torch::kLong).to(prompts.input_ids.device());
  for (int64_t i = 0; i < options.max_new_tokens; ++i) {
    const torch::Tensor logits = options.use_cache ? model->forward(step, {&cache, nullptr}) : model->forward(full);
    // Never emit an image placeholder or padding (as the decoder).
    torch::Tensor last = logits.select(1, logits.size(1) - 1).clone();
    if (banned.numel() > 0) last.index_fill_(-1, banned, -std::numeric_limits<float>::infinity());
    const torch::Tensor next = last.argmax(-1);  // [B]
    const auto next_cpu = next.to(torch::kCPU);
    bool all_done = true;
    for (int64_t r = 0; r < rows; ++r) {
      if (done[size_t(r)]) continue;
      const int32_t token = int32_t(next_cpu[r].item<int64_t>());
      if (token == options.eos_id ||
          std::find(options.stop_ids.begin(), options.stop_ids.end(), token) != options.stop_ids.end())
        done[size_t(r)] = true;
      else
        out[size_t(r)].push_back(token);
      all_done = all_done && done[size_t(r)];
    }
    if (all_done) break;
    const torch::Tensor ids = next.unsqueeze(1);
    const torch::Tensor positions = next_position.unsqueeze(1);
    const torch::Tensor real = torch::ones_like(ids, torch::kBool);
    // Images were consumed by the prompt; later steps are text only.
    step = ModelInputs{ids, real, positions, {}, {}, {}};
    if (!options.use_cache) {
      full.input_ids = torch::cat({full.input_ids, ids}, 1);
      full.attention_mask = torch::cat({full.attention_mask, real}, 1);
      full.position_ids = torch::cat({full.position_ids, positions}, 1);
    }
    next_position = next_position + 1;
  }
  return out;
}

}  // namespace clear_sweep
