// LLaVA's vision half: a CLIP-style ViT image encoder, laid out as Hugging Face's
// CLIPVisionModel so that parameter names match
// (vision_tower.vision_model.encoder.layers.N.self_attn.q_proj...): patch embedding,
// class token, learned positions, pre-norm blocks with quick-GELU MLPs; and LLaVA's
// two-layer projector. Idefics2's SigLIP encoder reuses the blocks (the same layout,
// another activation, a mask over padded patches).
#pragma once

#include <torch/torch.h>

#include <string>

#include "model/basic_layers.h"
#include "model/lora_linear.h"
#include "model/model_config.h"

namespace clear_sweep {

class ClipEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit ClipEmbeddingsImpl(const VisionConfig& c);
  torch::Tensor forward(const torch::Tensor& pixels);  ///< [N, 3, S, S] -> [N, 1 + patches, D]
  torch::Tensor class_embedding;                       ///< [D]
  PatchEmbedding patch_embedding{nullptr};
  Embedding position_embedding{nullptr};  ///< [1 + patches, D]
};
TORCH_MODULE(ClipEmbeddings);

class ClipAttentionImpl : public torch::nn::Module {
 public:
  explicit ClipAttentionImpl(const VisionConfig& c);
  /// x [N, P, D]; `allowed` [N, 1, P, P] bool, or undefined: every patch sees every other.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& allowed = {});
  LoraLinear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};

 private:
  int64_t heads_;
};
TORCH_MODULE(ClipAttention);

class ClipMlpImpl : public torch::nn::Module {
 public:
  explicit ClipMlpImpl(const VisionConfig& c);
  torch::Tensor forward(const torch::Tensor& x);
  LoraLinear fc1{nullptr}, fc2{nullptr};

 private:
  std::string act_;  ///< CLIP's quick_gelu; SigLIP's (Idefics2) gelu_pytorch_tanh
};
TORCH_MODULE(ClipMlp);

class ClipLayerImpl : public torch::nn::Module {
 public:
  explicit ClipLayerImpl(const VisionConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& allowed = {});
  LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
  ClipAttention self_attn{nullptr};
  ClipMlp mlp{nullptr};
};
TORCH_MODULE(ClipLayer);

class ClipEncoderImpl : public torch::nn::Module {
 public:
  explicit ClipEncoderImpl(const VisionConfig& c);
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(ClipEncoder);

class ClipVisionModelImpl : public torch::nn::Module {
 public:
  explicit ClipVisionModelImpl(const VisionConfig& c);
  ClipEmbeddings embeddings{nullptr};
  LayerNorm pre_layrnorm{nullptr};  // sic: Hugging Face's spelling
  ClipEncoder encoder{nullptr};
  LayerNorm post_layernorm{nullptr};
};
TORCH_MODULE(ClipVisionModel);

/// The tower: returns the features of the configured layer (class token dropped unless
/// the select strategy is "full").
class VisionTowerImpl : public torch::nn::Module {
 public:
  explicit VisionTowerImpl(const VisionConfig& c);
  torch::Tensor forward(const torch::Tensor& pixels);  ///< [N, 3, S, S] -> [N, features, D]
  ClipVisionModel vision_model{nullptr};

 private:
  int64_t select_layer_;
  bool keep_class_token_;
};
TORCH_MODULE(VisionTower);

/// LLaVA's projector: linear_1, GELU, linear_2 (vision width -> text width).
class ProjectorImpl : public torch::nn::Module {
 public:
  ProjectorImpl(int64_t vision_hidden, int64_t text_hidden);
  torch::Tensor forward(const torch::Tensor& x);
  LoraLinear linear_1{nullptr}, linear_2{nullptr};
};
TORCH_MODULE(Projector);

}  // namespace clear_sweep
