#include "faces/resnet_embedder.h"

namespace clear_sweep {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}

// torchvision's initialisation: He-normal (fan out) convolutions, batch norm at identity.
void init_like_torchvision(nn::Module& module) {
  for (auto& m : module.modules(/*include_self=*/false)) {
    if (auto* c = m->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
    } else if (auto* b = m->as<nn::BatchNorm2d>()) {
      nn::init::ones_(b->weight);
      nn::init::zeros_(b->bias);
    }
  }
}

nn::Sequential stage(int64_t in, int64_t channels, int64_t stride) {
  nn::Sequential s;
  s->push_back(BasicBlock(in, channels, stride));
  s->push_back(BasicBlock(channels, channels, 1));
  return s;
}

}  // namespace

BasicBlockImpl::BasicBlockImpl(int64_t in_channels, int64_t channels, int64_t stride) {
  conv1 = register_module("conv1", conv(in_channels, channels, 3, stride, 1));
  bn1 = register_module("bn1", nn::BatchNorm2d(channels));
  conv2 = register_module("conv2", conv(channels, channels, 3, 1, 1));
  bn2 = register_module("bn2", nn::BatchNorm2d(channels));
  if (stride != 1 || in_channels != channels) {
    downsample = register_module("downsample",
                                 nn::Sequential(conv(in_channels, channels, 1, stride, 0), nn::BatchNorm2d(channels)));
  }
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  auto out = torch::relu(bn1(conv1(x)));
  out = bn2(conv2(out));
  return torch::relu(out + (downsample ? downsample->forward(x) : x));
}

ResNet18EmbedderImpl::ResNet18EmbedderImpl(int64_t width) : width_(width) {
  TORCH_CHECK(width >= 1, "ResNet width must be at least 1");
  conv1 = register_module("conv1", conv(3, width, 7, 2, 3));
  bn1 = register_module("bn1", nn::BatchNorm2d(width));
  layer1 = register_module("layer1", stage(width, width, 1));
  layer2 = register_module("layer2", stage(width, 2 * width, 2));
  layer3 = register_module("layer3", stage(2 * width, 4 * width, 2));
  layer4 = register_module("layer4", stage(4 * width, 8 * width, 2));
  init_like_torchvision(*this);
}

torch::Tensor ResNet18EmbedderImpl::forward(const torch::Tensor& images) {
  auto x = torch::relu(bn1(conv1(images)));                                   // [B, w, S/2, S/2]
  x = torch::max_pool2d(x, /*kernel_size=*/3, /*stride=*/2, /*padding=*/1);   // [B, w, S/4, S/4]
  x = layer4->forward(layer3->forward(layer2->forward(layer1->forward(x))));  // [B, 8w, S/32, S/32]
  return torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);                    // [B, 8w]
}

}  // namespace clear_sweep
