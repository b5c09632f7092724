#include "faces/face_methods.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "common/error.h"
#include "common/suggest.h"
#include "faces/face_method_steps.h"

namespace clear_sweep {
namespace {

namespace F = torch::nn::functional;

std::map<std::string, FaceMethod>& face_methods() {
  static std::map<std::string, FaceMethod> registry;
  return registry;
}

}  // namespace

FaceMethodRegistration::FaceMethodRegistration(const std::string& name, FaceMethod method) {
  CS_ASSERT(face_methods().emplace(name, std::move(method)).second, "two face methods named " + name);
}

std::vector<std::string> face_method_names() {
  std::vector<std::string> names;
  for (const auto& [name, method] : face_methods()) names.push_back(name);
  return names;
}

torch::optim::SGD sgd(std::vector<torch::Tensor> params, const FaceUnlearnSettings& s) {
  return torch::optim::SGD(std::move(params),
                           torch::optim::SGDOptions(s.lr).momentum(s.momentum).weight_decay(s.weight_decay));
}

// One optimiser step on `loss`; a loss that is not finite stops the method with an error
// naming it, as the VLM loop does (a diverged run has no meaningful result).
double take_step(torch::optim::SGD& optimizer, const torch::Tensor& loss, const FaceUnlearnSettings& s, int64_t epoch) {
  const double value = loss.item<double>();
  if (!std::isfinite(value))
    throw std::runtime_error(s.method + " diverged: the loss is " + std::to_string(value) + " at epoch " +
                             std::to_string(epoch) + " (lr " + std::to_string(s.lr) + "); lower lr");
  optimizer.zero_grad();
  loss.backward();
  optimizer.step();
  return value;
}

std::vector<int64_t> repeated(const std::vector<int64_t>& samples, int64_t times) {
  std::vector<int64_t> out;
  for (int64_t t = 0; t < std::max<int64_t>(times, 1); ++t) out.insert(out.end(), samples.begin(), samples.end());
  return out;
}


// One pass of embedding regression over `samples` (scrub_bio, twins, rmu).
double embedding_epoch(FaceModel& model, torch::optim::SGD& optimizer, const FaceImages& data,
                       const std::vector<int64_t>& samples, const Targets& targets, const FaceUnlearnSettings& s,
                       int64_t epoch, uint64_t seed) {
  const auto device = model->head.device();
  double total = 0;
  const auto batches = shuffled_batches(samples, s.batch_size, seed);
  for (const auto& batch : batches) {
    const auto index = torch::tensor(batch, torch::kInt64);
    const auto x = model->net->forward(gather_pixels(data, batch, device));  // [B, D]
    const auto t = targets.rows.index_select(0, index).to(device);
    const auto loss = s.method == "scrub_bio" ? scrub_bio_loss(x, t, targets.sign.index_select(0, index).to(device))
                                              : F::mse_loss(x, t);
    total += take_step(optimizer, loss, s, epoch);
  }
  return batches.empty() ? 0.0 : total / double(batches.size());
}

// One pass of (+-) AM-Softmax steps over `samples`.
double label_epoch(FaceModel& model, torch::optim::SGD& optimizer, const FaceImages& data,
                   const std::vector<int64_t>& samples, double sign, const FaceUnlearnSettings& s, int64_t epoch,
                   uint64_t seed, bool l1) {
  const auto device = model->head.device();
  double total = 0;
  const auto batches = shuffled_batches(samples, s.batch_size, seed);
  for (const auto& batch : batches) {
    auto loss = sign * am_softmax_loss(model->net->forward(gather_pixels(data, batch, device)), model->head,
                                       gather_labels(data, batch, device), s.am);
    if (l1) loss = loss + s.l1_weight * l1_norm(model->net);
    total += take_step(optimizer, loss, s, epoch);
  }
  return batches.empty() ? 0.0 : total / double(batches.size());
}

torch::Tensor scrub_bio_loss(const torch::Tensor& x, const torch::Tensor& target, const torch::Tensor& sign) {
  const auto cos = F::cosine_similarity(x, target, F::CosineSimilarityFuncOptions().dim(1).eps(1e-8));  // [B]
  const auto pull = 1 - cos, push = torch::clamp_min(cos, 0.0);
  return torch::where(sign > 0, pull, push).mean();
}

torch::Tensor kl_batchmean(const torch::Tensor& student, const torch::Tensor& teacher) {
  const auto p = torch::softmax(teacher, 1);
  return (p * (torch::log_softmax(teacher, 1) - torch::log_softmax(student, 1))).sum() / double(student.size(0));
}

torch::Tensor face_dpo_loss(const torch::Tensor& forget_logits, const torch::Tensor& forget_logits0,
                            const torch::Tensor& forget_labels, const torch::Tensor& retain_logits,
                            const torch::Tensor& retain_logits0, const torch::Tensor& retain_labels, double beta) {
  // beta * log(p / p0) at the label, for each side; [B] each.
  auto ratio = [&](const torch::Tensor& logits, const torch::Tensor& logits0, const torch::Tensor& labels) {
    const auto log_ratio = torch::log_softmax(logits, 1) - torch::log_softmax(logits0, 1);
    return beta * log_ratio.gather(1, labels.view({-1, 1})).squeeze(1);
  };
  const auto chosen = ratio(retain_logits, retain_logits0, retain_labels);
  const auto rejected = ratio(forget_logits, forget_logits0, forget_labels);
  return -(1.0 / beta) * F::logsigmoid(chosen - rejected).mean();
}

torch::Tensor l1_norm(ResNet18Embedder& net) {
  torch::Tensor total = torch::zeros({}, net->parameters().front().options());
  for (const auto& p : net->parameters()) total = total + p.abs().sum();
  return total;
}

void unlearn_face_model(FaceModel& model, const FaceModel& original, const FaceImages& data,
                        const std::vector<int64_t>& forget, const std::vector<int64_t>& retain,
                        const FaceUnlearnSettings& s, const FaceEpochCallback& on_epoch) {
  const auto it = face_methods().find(s.method);
  if (it == face_methods().end())
    throw Error({}, "method", "'" + s.method + "' is not a face unlearning method",
                "face methods: " + join(face_method_names()));
  CS_ASSERT(!forget.empty() && !retain.empty(), "face unlearning needs forget and retain images");
  it->second(model, original, data, forget, retain, s, on_epoch);
}

}  // namespace clear_sweep
