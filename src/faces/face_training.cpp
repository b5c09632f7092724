#include "faces/face_training.h"

#include <algorithm>
#include <random>

#include "common/error.h"
#include "eval/shadow_attacks.h"

namespace clear_sweep {

std::vector<std::vector<int64_t>> shuffled_batches(std::vector<int64_t> samples, int64_t batch_size, uint64_t seed) {
  CS_ASSERT(batch_size >= 1, "batch size must be at least 1");
  std::mt19937_64 rng(seed);
  std::shuffle(samples.begin(), samples.end(), rng);
  std::vector<std::vector<int64_t>> out;
  for (size_t at = 0; at < samples.size(); at += size_t(batch_size))
    out.emplace_back(samples.begin() + long(at),
                     samples.begin() + long(std::min(samples.size(), at + size_t(batch_size))));
  return out;
}

torch::Tensor gather_pixels(const FaceImages& data, const std::vector<int64_t>& indices, const torch::Device& device) {
  const auto index = torch::tensor(indices, torch::kInt64);
  return data.pixels.index_select(0, index).to(device);
}

torch::Tensor gather_labels(const FaceImages& data, const std::vector<int64_t>& indices, const torch::Device& device) {
  std::vector<int64_t> labels;
  labels.reserve(indices.size());
  for (int64_t i : indices) labels.push_back(data.labels[size_t(i)]);
  return torch::tensor(labels, torch::kInt64).to(device);
}

void train_face_model(FaceModel& model, const FaceImages& data, const std::vector<int64_t>& samples,
                      const FaceTrainOptions& options, const FaceEpochCallback& on_epoch) {
  CS_ASSERT(!samples.empty(), "training a face model on no image");
  const auto device = model->head.device();
  torch::optim::SGD optimizer(
      model->parameters(),
      torch::optim::SGDOptions(options.lr).momentum(options.momentum).weight_decay(options.weight_decay));
  model->train();
  for (int64_t epoch = 1; epoch <= options.epochs; ++epoch) {
    double total = 0;
    const auto batches = shuffled_batches(samples, options.batch_size, options.seed * 1000003 + uint64_t(epoch));
    for (const auto& batch : batches) {
      const auto loss = am_softmax_loss(model->net->forward(gather_pixels(data, batch, device)), model->head,
                                        gather_labels(data, batch, device), options.am);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      total += loss.item<double>();
    }
    if (on_epoch) on_epoch(epoch, total / double(batches.size()));
  }
  model->eval();
}

torch::Tensor embed_faces(ResNet18Embedder& net, const torch::Tensor& pixels, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  const bool was_training = net->is_training();
  net->eval();
  const auto device = net->parameters().front().device();
  std::vector<torch::Tensor> parts;
  for (int64_t at = 0; at < pixels.size(0); at += batch_size)
    parts.push_back(net->forward(pixels.slice(0, at, std::min(pixels.size(0), at + batch_size)).to(device)).cpu());
  net->train(was_training);
  return torch::cat(parts).to(torch::kFloat32).contiguous();  // [N, D]
}

std::vector<float> embedding_rows(const torch::Tensor& embeddings) {
  const auto e = embeddings.to(torch::kCPU, torch::kFloat32).contiguous();
  return {e.data_ptr<float>(), e.data_ptr<float>() + e.numel()};
}

FaceAccuracy evaluate_face_model(FaceModel& model, const FaceImages& data, const std::vector<int64_t>& forget_persons,
                                 const std::vector<int64_t>& retain_persons,
                                 const std::vector<int64_t>& holdout_persons, int64_t enroll) {
  const auto embeddings = embed_faces(model->net, data.pixels);
  FaceAccuracy out;
  out.centroid = nearest_centroid(embedding_rows(embeddings), embeddings.size(1), data.labels, enroll);
  out.forget = centroid_accuracy(out.centroid, data.labels, data.mask_of(forget_persons));
  out.retain = centroid_accuracy(out.centroid, data.labels, data.mask_of(retain_persons));
  out.holdout = centroid_accuracy(out.centroid, data.labels, data.mask_of(holdout_persons));
  return out;
}

std::vector<double> membership_scores(FaceModel& model, const FaceImages& data, int64_t enroll) {
  const auto embeddings = embed_faces(model->net, data.pixels);
  const auto eval = nearest_centroid(embedding_rows(embeddings), embeddings.size(1), data.labels, enroll);
  std::vector<double> out;
  out.reserve(eval.own_similarity.size());
  for (double cosine : eval.own_similarity) out.push_back(similarity_logit(cosine));
  return out;
}

}  // namespace clear_sweep
