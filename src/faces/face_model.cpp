#include "faces/face_model.h"

#include <filesystem>

#include "common/error.h"
#include "common/file_write.h"
#include "model/safetensors.h"

namespace clear_sweep {

namespace fs = std::filesystem;

torch::Tensor am_softmax_loss(const torch::Tensor& embeddings, const torch::Tensor& weight, const torch::Tensor& labels,
                              const AmSoftmaxSettings& settings) {
  const auto cosines = torch::mm(
      torch::nn::functional::normalize(embeddings, torch::nn::functional::NormalizeFuncOptions().dim(1)),
      torch::nn::functional::normalize(weight, torch::nn::functional::NormalizeFuncOptions().dim(1)).t());  // [B, K]
  // The margin lowers the true class's cosine only; cross entropy of the scaled result is the loss.
  const auto margin = torch::zeros_like(cosines).scatter_(1, labels.view({-1, 1}), settings.margin);
  return torch::nn::functional::cross_entropy(settings.scale * (cosines - margin), labels);
}

torch::Tensor class_logits(const torch::Tensor& embeddings, const torch::Tensor& weight) {
  return torch::mm(embeddings, weight.t());
}

FaceModelImpl::FaceModelImpl(int64_t width, int64_t identities) {
  TORCH_CHECK(identities >= 2, "a face model needs at least 2 identities");
  net = register_module("net", ResNet18Embedder(width));
  // nn.Linear's default initialisation: U(-1/sqrt(D), 1/sqrt(D)).
  const double bound = 1.0 / std::sqrt(double(net->embedding_dim()));
  head = register_parameter("head", torch::empty({identities, net->embedding_dim()}).uniform_(-bound, bound));
}

FaceModel clone_face_model(const FaceModel& model) {
  FaceModel copy(model->net->width(), model->identities());
  copy->to(model->head.device());
  torch::NoGradGuard no_grad;
  auto source_params = model->parameters();
  auto target_params = copy->parameters();
  for (size_t i = 0; i < source_params.size(); ++i) target_params[i].copy_(source_params[i]);
  auto source_buffers = model->buffers();
  auto target_buffers = copy->buffers();
  for (size_t i = 0; i < source_buffers.size(); ++i) target_buffers[i].copy_(source_buffers[i]);
  copy->train(model->is_training());
  return copy;
}

void save_face_model(const FaceModel& model, const std::string& dir) {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& item : model->named_parameters()) tensors.emplace_back(item.key(), item.value().detach().cpu());
  for (const auto& item : model->named_buffers()) tensors.emplace_back(item.key(), item.value().detach().cpu());
  classify_write_errors("face model folder " + dir, [&] { fs::create_directories(dir); });
  write_safetensors((fs::path(dir) / "model.safetensors").string(), tensors,
                    {{"format", "pt"},
                     {"clear_sweep_kind", "resnet18-faces"},
                     {"width", std::to_string(model->net->width())},
                     {"identities", std::to_string(model->identities())}});
}

FaceModel load_face_model(const std::string& dir, const torch::Device& device) {
  const std::string path = (fs::path(dir) / "model.safetensors").string();
  if (!fs::exists(path)) throw Error({path}, "model", "no face model here (model.safetensors is missing)");
  const SafetensorsFile file(path);
  const auto& meta = file.metadata();
  if (!meta.count("clear_sweep_kind") || meta.at("clear_sweep_kind") != "resnet18-faces")
    throw Error({path}, "clear_sweep_kind", "not a resnet18-faces model");
  int64_t width = 0, identities = 0;
  try {
    width = std::stoll(meta.at("width"));
    identities = std::stoll(meta.at("identities"));
  } catch (const std::exception&) {
    throw Error({path}, "width", "metadata 'width' and 'identities' must be integers");
  }
  FaceModel model(width, identities);
  torch::NoGradGuard no_grad;
  auto load = [&](const std::string& name, torch::Tensor& target) {
    const auto* entry = file.find(name);
    if (!entry) throw Error({path}, name, "tensor is missing");
    const auto value = file.read(*entry);
    if (value.sizes() != target.sizes())
      throw Error({path}, name, "has shape " + c10::str(value.sizes()) + ", expected " + c10::str(target.sizes()));
    target.copy_(value);
  };
  for (auto& item : model->named_parameters()) load(item.key(), item.value());
  for (auto& item : model->named_buffers()) load(item.key(), item.value());
  model->to(device);
  return model;
}

}  // namespace clear_sweep
