// Loss pieces the methods share: CE = mean token NLL over answer
// tokens; sequence log-probabilities (summed over answer tokens); KL divergences between
// the model and its frozen teacher on answer tokens; the L1 norm of LoRA weights.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "model/vlm.h"

namespace clear_sweep {

/// Mean NLL per answer token over the whole batch (token-weighted).
torch::Tensor cross_entropy(Vlm& model, const ModelInputs& inputs);
/// log p(answer | prompt) per row: minus the summed answer NLL. [B]
torch::Tensor sequence_logprob(Vlm& model, const ModelInputs& inputs);
/// The same under the frozen teacher (adapters off, no gradient).
torch::Tensor teacher_sequence_logprob(Vlm& model, const ModelInputs& inputs);

/// Log-probabilities over the vocabulary at each labelled position: [N, V], N answer
/// tokens in the batch (the positions that predict them).
torch::Tensor answer_logprobs(Vlm& model, const ModelInputs& inputs);
torch::Tensor teacher_answer_logprobs(Vlm& model, const ModelInputs& inputs);

/// The label of each answer token, in answer_logprobs' row order. [N]
torch::Tensor answer_labels(const ModelInputs& inputs);
/// Each answer token's place in its own answer (0 for the first). [N]
torch::Tensor answer_positions(const ModelInputs& inputs);

/// Mean over answer tokens of KL(p || q) = sum_v p (log p - log q), from log-probs.
torch::Tensor kl_divergence(const torch::Tensor& log_p, const torch::Tensor& log_q);

/// sum |W| over the given (LoRA) tensors.
torch::Tensor l1_norm(const std::vector<torch::Tensor>& weights);

}  // namespace clear_sweep
