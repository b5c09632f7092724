// The face embedder's forward pass for test_torchvision_parity.py: loads a torchvision
// ResNet-18 state dict (safetensors, fc left out) into ResNet18Embedder by name, and
// writes what torchvision is compared on.
//   face_forward_dump WEIGHTS.safetensors INPUTS.safetensors OUT.safetensors
// Inputs: images [B, 3, S, S]. Out: eval [B, 512] (batch norm on running statistics),
// train [B, 512] (on batch statistics), and every batch-norm buffer after that training
// forward ("after.<name>").
#include <cstdio>

#include "common/error.h"
#include "faces/resnet_embedder.h"
#include "model/safetensors.h"

using namespace clear_sweep;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: face_forward_dump WEIGHTS.safetensors INPUTS.safetensors OUT.safetensors\n");
    return 2;
  }
  try {
    ResNet18Embedder net(64);
    const SafetensorsFile weights(argv[1]);
    {
      torch::NoGradGuard no_grad;
      size_t loaded = 0;
      auto load = [&](const std::string& name, torch::Tensor& target) {
        const auto* entry = weights.find(name);
        if (!entry) throw std::runtime_error("weights lack " + name);
        target.copy_(weights.read(*entry));
        ++loaded;
      };
      for (auto& p : net->named_parameters()) load(p.key(), p.value());
      for (auto& b : net->named_buffers()) load(b.key(), b.value());
      if (loaded != weights.entries().size()) throw std::runtime_error("weights hold tensors the embedder lacks");
    }
    const SafetensorsFile inputs(argv[2]);
    const auto images = inputs.read(*inputs.find("images"));
    std::vector<std::pair<std::string, torch::Tensor>> out;
    torch::NoGradGuard no_grad;
    net->eval();
    out.emplace_back("eval", net->forward(images).contiguous());
    net->train();
    out.emplace_back("train", net->forward(images).contiguous());
    for (const auto& b : net->named_buffers()) out.emplace_back("after." + b.key(), b.value().contiguous());
    write_safetensors(argv[3], out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "face_forward_dump: %s\n", e.what());
    return 1;
  }
  return 0;
}
