// Idefics2's vision half, laid out as transformers' Idefics2VisionTransformer and
// Idefics2Connector so that parameter names match (model.vision_model.encoder.layers.N...,
// model.connector.perceiver_resampler.layers.N.self_attn.q_proj ...):
//   - the encoder: SigLIP at native aspect ratio. Each crop's full patches (the processor
//     drops the rest, as transformers' patch attention mask does) embedded by one linear
//     map (stored as the Conv2d weight and bias), plus a learned position of an
//     image_size square: each patch's row and column bucketed by the fraction of its
//     crop's height and width it sits at (NaViT's fractional positions). CLIP's blocks
//     (gelu_pytorch_tanh), a final LayerNorm; crops of different sizes are padded to the
//     longest and their padding masked as keys.
//   - the connector: a SwiGLU projection to the decoder's width, then the perceiver
//     resampler: `latents` learned queries that attend, in `depth` layers, to the crop's
//     patches and themselves (grouped key/value heads, RMSNorm before each part), so each
//     crop becomes `latents` decoder tokens.
// Shapes: C crops, P patches of a crop (Pmax the longest), Dv encoder width, D decoder
// width, L latents.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "model/attention.h"
#include "model/basic_layers.h"
#include "model/llava/clip_vision.h"
#include "model/lora_linear.h"
#include "model/model_config.h"

namespace clear_sweep {

/// A crop's grid of full patches.
struct PatchGrid2d {
  int64_t h = 0, w = 0;
};

/// The position ids [h * w] long (on the host) of a crop of h x w patches, row-major, as
/// transformers' Idefics2VisionEmbeddings buckets them onto a side x side grid.
torch::Tensor idefics2_position_ids(PatchGrid2d grid, int64_t side);

class Idefics2PatchEmbeddingImpl : public torch::nn::Module {
 public:
  explicit Idefics2PatchEmbeddingImpl(const VisionConfig& c);
  torch::Tensor forward(const torch::Tensor& patches);  ///< [P, 3 * p * p] -> [P, Dv]
  torch::Tensor weight;                                 ///< [Dv, 3, p, p], as transformers' Conv2d
  torch::Tensor bias;                                   ///< [Dv]
};
TORCH_MODULE(Idefics2PatchEmbedding);

class Idefics2VisionEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit Idefics2VisionEmbeddingsImpl(const VisionConfig& c);
  Idefics2PatchEmbedding patch_embedding{nullptr};
  Embedding position_embedding{nullptr};  ///< [(image_size / p)^2, Dv]
};
TORCH_MODULE(Idefics2VisionEmbeddings);

/// The encoder's output: each crop's patch features, padded to the longest crop.
struct CropFeatures {
  torch::Tensor features;  ///< [C, Pmax, Dv]
  torch::Tensor mask;      ///< [C, Pmax] bool, true at a crop's patches; undefined when none is padded
};

class Idefics2VisionTransformerImpl : public torch::nn::Module {
 public:
  explicit Idefics2VisionTransformerImpl(const VisionConfig& c);
  /// patches [sum of h * w, 3 * p * p]: every crop's, one after another, each row-major.
  CropFeatures forward(const torch::Tensor& patches, const std::vector<PatchGrid2d>& grids);
  Idefics2VisionEmbeddings embeddings{nullptr};
  ClipEncoder encoder{nullptr};
  LayerNorm post_layernorm{nullptr};

 private:
  int64_t side_;  ///< image_size / patch_size: the position grid's side
};
TORCH_MODULE(Idefics2VisionTransformer);

/// down(silu(gate(x)) * up(x)), no biases: the modality projection and the resampler's MLP.
class Idefics2MlpImpl : public torch::nn::Module {
 public:
  Idefics2MlpImpl(int64_t in, int64_t intermediate, int64_t out);
  torch::Tensor forward(const torch::Tensor& x);
  LoraLinear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(Idefics2Mlp);

class Idefics2PerceiverAttentionImpl : public torch::nn::Module {
 public:
  Idefics2PerceiverAttentionImpl(int64_t width, const VisionConfig::Resampler& r);
  /// latents [C, L, D], context [C, P, D]: the latents' queries over the keys and values of
  /// [context, latents]; `allowed` [C, 1, L, P + L] or undefined. -> [C, L, D].
  torch::Tensor forward(const torch::Tensor& latents, const torch::Tensor& context, const torch::Tensor& allowed);
  LoraLinear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};

 private:
  int64_t heads_, kv_heads_, head_dim_;
};
TORCH_MODULE(Idefics2PerceiverAttention);

class Idefics2PerceiverLayerImpl : public torch::nn::Module {
 public:
  Idefics2PerceiverLayerImpl(int64_t width, const VisionConfig::Resampler& r);
  torch::Tensor forward(const torch::Tensor& latents, const torch::Tensor& context, const torch::Tensor& allowed);
  RMSNorm input_latents_norm{nullptr}, input_context_norm{nullptr};
  Idefics2PerceiverAttention self_attn{nullptr};
  RMSNorm post_attention_layernorm{nullptr};
  Idefics2Mlp mlp{nullptr};
};
TORCH_MODULE(Idefics2PerceiverLayer);

class Idefics2PerceiverResamplerImpl : public torch::nn::Module {
 public:
  Idefics2PerceiverResamplerImpl(int64_t width, const VisionConfig::Resampler& r);
  /// context [C, P, D], mask [C, P] bool or undefined (every patch real) -> [C, L, D].
  torch::Tensor forward(const torch::Tensor& context, const torch::Tensor& mask);
  torch::Tensor latents;  ///< [L, D]
  torch::nn::ModuleList layers{nullptr};
  RMSNorm norm{nullptr};
};
TORCH_MODULE(Idefics2PerceiverResampler);

class Idefics2ConnectorImpl : public torch::nn::Module {
 public:
  Idefics2ConnectorImpl(const VisionConfig& v, const TextConfig& t);
  /// The encoder's crops -> [C, L, D], L decoder tokens per crop.
  torch::Tensor forward(const CropFeatures& crops);
  Idefics2Mlp modality_projection{nullptr};
  Idefics2PerceiverResampler perceiver_resampler{nullptr};
};
TORCH_MODULE(Idefics2Connector);

}  // namespace clear_sweep
