// Scoring and generation: what evaluation and the losses of unlearning read off a model.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "model/greedy_decoder.h"
#include "model/vlm.h"

namespace clear_sweep {

/// Per-token negative log-likelihood of the labelled tokens: [B, T-1], zero where the
/// label is ignored (logits at t predict the label at t + 1).
torch::Tensor token_nll(const torch::Tensor& logits, const torch::Tensor& labels);

/// Per row: the summed NLL of its answer tokens and how many there are, from one
/// forward pass over the batch. The mean token loss is sum / count.
struct AnswerScores {
  torch::Tensor sum_nll;  ///< [B] float
  torch::Tensor tokens;   ///< [B] float
  torch::Tensor mean() const { return sum_nll / tokens.clamp_min(1); }
};
/// The LM head applied at labelled positions only (answers are a fraction of a
/// sequence): what every answer score starts from.
struct LabelledLogits {
  torch::Tensor logits;  ///< [N, V]: the positions that predict the N answer tokens
  torch::Tensor labels;  ///< [N]
  torch::Tensor row;     ///< [N] long: the batch row of each
  torch::Tensor count;   ///< [B] float: answer tokens per row
};
LabelledLogits labelled_logits(Vlm& model, const ModelInputs& inputs, const ForwardOptions& options = {});

/// Applies the LM head at labelled positions only (answers are a fraction of a
/// sequence): the same numbers as answer_scores(model->forward(inputs), labels), cheaper.
AnswerScores score_answers(Vlm& model, const ModelInputs& inputs, const ForwardOptions& options = {});
AnswerScores answer_scores(const torch::Tensor& logits, const torch::Tensor& labels);

/// score_answers plus what the memorisation and membership metrics read per answer
/// token (open-unlearning's exact memorisation, extraction strength, Min-K%, Min-K%++),
/// from the same forward pass. For evaluation (no gradient needed); [N]: the batch's
/// answer tokens, row by row.
struct AnswerTokenScores {
  AnswerScores sums;
  torch::Tensor row;           ///< [N] long: the batch row of each token
  torch::Tensor logprob;       ///< [N] float: log p(label)
  torch::Tensor correct;       ///< [N] bool: the argmax is the label
  torch::Tensor mean_logprob;  ///< [N] float: E_{v ~ p}[log p(v)]
  torch::Tensor var_logprob;   ///< [N] float: Var_{v ~ p}[log p(v)]
};
AnswerTokenScores score_answer_tokens(Vlm& model, const ModelInputs& inputs);

/// Greedy decoding for a left-padded batch of prompts (collate(..., PadSide::left,
/// prompt_only)). Returns each row's new tokens, up to and excluding EOS. With the static
/// cache, one GreedyDecoder's batch; else the reference loop.
std::vector<std::vector<int32_t>> generate_greedy(Vlm& model, const ModelInputs& prompts,
                                                  const GenerateOptions& options);

}  // namespace clear_sweep
