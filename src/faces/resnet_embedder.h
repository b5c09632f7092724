// The face embedder of CLEAR's visual benchmark: torchvision's ResNet-18 with its
// classifier replaced by Flatten, so its output is the pooled 512-wide feature (8 x
// width in general). Module and parameter names are torchvision's ("layer2.0.downsample.1
// .running_var"), so a torchvision state dict saved as safetensors loads unchanged
// (tests/faces/test_torchvision_parity.py holds the two forwards equal).
#pragma once

#include <torch/torch.h>

namespace clear_sweep {

/// torchvision's BasicBlock: two 3x3 convolutions with batch norm, a residual path
/// (1x1 convolution + batch norm where the shape changes).
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in_channels, int64_t channels, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);  ///< [B, Cin, H, W] -> [B, C, H / stride, W / stride]

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

class ResNet18EmbedderImpl : public torch::nn::Module {
 public:
  /// `width`: channels of the first stage (torchvision: 64); stages double it.
  explicit ResNet18EmbedderImpl(int64_t width = 64);
  /// images [B, 3, S, S] (normalised) -> embeddings [B, 8 * width]. Any S >= 32 works;
  /// the adaptive pooling makes the output size independent of it.
  torch::Tensor forward(const torch::Tensor& images);
  int64_t width() const { return width_; }
  int64_t embedding_dim() const { return 8 * width_; }

 private:
  int64_t width_;
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
};
TORCH_MODULE(ResNet18Embedder);

}  // namespace clear_sweep
