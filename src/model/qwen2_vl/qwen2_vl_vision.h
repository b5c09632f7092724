// Qwen2-VL's and Qwen2.5-VL's vision encoder, laid out as transformers'
// Qwen2VisionTransformerPretrainedModel / Qwen2_5_VisionTransformerPretrainedModel so
// that parameter names match (model.visual.blocks.N.attn.qkv ...):
//   - patch_embed: temporal x p x p patches of 3 channels, one linear map (stored as
//     transformers' Conv3d weight [D, 3, temporal, p, p]);
//   - blocks: pre-norm attention with one fused qkv and 2-D rotary positions (height and
//     width of the patch), then an MLP. Qwen2-VL: LayerNorm and fc1/fc2 with quick-GELU;
//     Qwen2.5-VL: RMSNorm and SwiGLU with biases;
//   - several images packed in one sequence, attention within each image's frame only
//     (attend_segments: no [P, P] mask); Qwen2.5-VL attends within windows of window_size pixels
//     except at its full-attention blocks, its patches reordered by window for it and the
//     merged tokens put back in image order after the merger;
//   - merger: norm, then m x m neighbouring patches concatenated, Linear, GELU, Linear to
//     the decoder's width.
// Shapes: P patches of all images, D encoder width, hd head size, m spatial merge.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "model/attention.h"
#include "model/basic_layers.h"
#include "model/lora_linear.h"
#include "model/model_config.h"
#include "model/qwen2_vl/mrope_positions.h"

namespace clear_sweep {

/// Flattened patches to vectors: [P, 3 * temporal * p * p] -> [P, D].
class QwenPatchProjectionImpl : public torch::nn::Module {
 public:
  explicit QwenPatchProjectionImpl(const VisionConfig& c);
  torch::Tensor forward(const torch::Tensor& patches);
  torch::Tensor weight;  ///< [D, 3, temporal, p, p], as transformers' Conv3d (no bias)
};
TORCH_MODULE(QwenPatchProjection);

class QwenPatchEmbedImpl : public torch::nn::Module {
 public:
  explicit QwenPatchEmbedImpl(const VisionConfig& c);
  QwenPatchProjection proj{nullptr};
};
TORCH_MODULE(QwenPatchEmbed);

/// LayerNorm (Qwen2-VL) or RMSNorm (Qwen2.5-VL), eps 1e-6, under transformers' names.
class QwenVisionNormImpl : public torch::nn::Module {
 public:
  QwenVisionNormImpl(int64_t dim, bool rms);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;  ///< [D]; no bias under RMSNorm

 private:
  bool rms_;
};
TORCH_MODULE(QwenVisionNorm);

class QwenVisionAttentionImpl : public torch::nn::Module {
 public:
  explicit QwenVisionAttentionImpl(const VisionConfig& c);
  /// x [P, D]; cos, sin [P, hd] (float32); `segments` the sizes of the runs of patches
  /// that attend among themselves (attend_segments).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const std::vector<int64_t>& segments);
  LoraLinear qkv{nullptr}, proj{nullptr};

 private:
  int64_t heads_;
};
TORCH_MODULE(QwenVisionAttention);

/// fc1, activation, fc2 (Qwen2-VL) or down(act(gate) * up) with biases (Qwen2.5-VL).
class QwenVisionMlpImpl : public torch::nn::Module {
 public:
  explicit QwenVisionMlpImpl(const VisionConfig& c);
  torch::Tensor forward(const torch::Tensor& x);
  LoraLinear fc1{nullptr}, fc2{nullptr};
  LoraLinear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};

 private:
  std::string act_;
};
TORCH_MODULE(QwenVisionMlp);

class QwenVisionBlockImpl : public torch::nn::Module {
 public:
  explicit QwenVisionBlockImpl(const VisionConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const std::vector<int64_t>& segments);
  QwenVisionNorm norm1{nullptr}, norm2{nullptr};
  QwenVisionAttention attn{nullptr};
  QwenVisionMlp mlp{nullptr};
};
TORCH_MODULE(QwenVisionBlock);

/// transformers' nn.Sequential(Linear, GELU, Linear): children "0" and "2".
class QwenMergerMlpImpl : public torch::nn::Module {
 public:
  QwenMergerMlpImpl(int64_t merged, int64_t out);
  torch::Tensor forward(const torch::Tensor& x);
  LoraLinear first{nullptr}, second{nullptr};
};
TORCH_MODULE(QwenMergerMlp);

class QwenPatchMergerImpl : public torch::nn::Module {
 public:
  QwenPatchMergerImpl(const VisionConfig& c, int64_t out);
  torch::Tensor forward(const torch::Tensor& x);  ///< [P, D] -> [P / m^2, out]
  QwenVisionNorm ln_q{nullptr};
  QwenMergerMlp mlp{nullptr};

 private:
  int64_t merged_;
};
TORCH_MODULE(QwenPatchMerger);

/// The encoder ("visual"): patches of every image -> one decoder-width feature per merged
/// m x m patch, image after image, each image's in row-major order of its merged grid.
class QwenVisionImpl : public torch::nn::Module {
 public:
  QwenVisionImpl(const VisionConfig& c, int64_t text_hidden);
  /// patches [P, 3 * temporal * p * p]; `grids` the images' (t, h, w) patch grids, whose
  /// t * h * w add up to P. -> [P / m^2, text_hidden].
  torch::Tensor forward(const torch::Tensor& patches, const std::vector<ImageGrid>& grids);
  QwenPatchEmbed patch_embed{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  QwenPatchMerger merger{nullptr};

 private:
  VisionConfig config_;
};
TORCH_MODULE(QwenVision);

/// The rows of transformers' rotary positions of the patches: (height, width) of each
/// patch, images one after another, each in merge-block order. [P, 2] long.
torch::Tensor qwen_vision_positions(const std::vector<ImageGrid>& grids, int64_t merge);

/// Qwen2.5-VL's windows (transformers' get_window_index): the merged units in window
/// order (P / m^2 indices), and each window's size in patches, in that order.
struct VisionWindows {
  std::vector<int64_t> order;
  std::vector<int64_t> lengths;
};
VisionWindows qwen_vision_windows(const std::vector<ImageGrid>& grids, int64_t merge, int64_t window_size,
                                  int64_t patch);

}  // namespace clear_sweep
