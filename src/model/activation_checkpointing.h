// Activation checkpointing for the decoder: a layer run this way keeps only its input;
// the backward pass runs it again, with gradients, to get them. One more forward per
// layer, for the memory of long image+text sequences (576 image tokens a row in
// LLaVA-1.5). Gradients are those of the plain backward: the recomputation replays the
// random generator (LoRA dropout draws the same mask) and the autocast state.
#pragma once

#include <torch/torch.h>

#include "model/llama_decoder.h"

namespace clear_sweep {

/// layer.forward(x, cos, sin, allowed) without a cache, its activations recomputed in
/// the backward pass. Gradients reach x and the layer's trainable tensors (LoRA
/// adapters, and base weights that require gradients).
torch::Tensor checkpointed_layer_forward(LlamaLayerImpl& layer, const torch::Tensor& x, const torch::Tensor& cos,
                                         const torch::Tensor& sin, const torch::Tensor& allowed);

}  // namespace clear_sweep
