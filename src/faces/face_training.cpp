#include "faces/face_training.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "common/error.h"
#include "eval/shadow_attacks.h"

namespace clear_sweep {

std::vector<std::vector<int64_t>> shuffled_batches(std::vector<int64_t> samples, int64_t batch_size, uint64_t seed) {
  CS_ASSERT(batch_size >= 1, "batch size must be at least 1");
  std::mt19937_64 rng(seed);
  std::shuffle(samples.begin(), samples.end(), rng);
  // As few batches as batch_size allows, sizes differing by at most one: a short last
  // batch (100 images at 32 leave 4) gives batch norm statistics of a few images and
  // derailed training at SGD's learning rate.
  const size_t n = samples.size(), count = (n + size_t(batch_size) - 1) / size_t(batch_size);
  std::vector<std::vector<int64_t>> out;
  size_t at = 0;
  for (size_t b = 0; b < count; ++b) {
    const size_t size = n / count + (b < n % count ? 1 : 0);
    out.emplace_back(samples.begin() + long(at), samples.begin() + long(at + size));
    at += size;
  }
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

namespace {

// The learning rate at step t of `total` (warmup_cosine): linear warm-up over the first
// tenth, then half a cosine down to 0.
double scheduled_lr(double lr, int64_t t, int64_t total) {
  const int64_t warmup = std::max<int64_t>(1, total / 10);
  if (t < warmup) return lr * double(t + 1) / double(warmup);
  const double progress = double(t - warmup) / double(std::max<int64_t>(1, total - warmup));
  return lr * 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
}

}  // namespace

void recompute_batch_norm(FaceModel& model, const FaceImages& data, const std::vector<int64_t>& samples,
                          int64_t batch_size) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  std::vector<std::pair<torch::nn::BatchNorm2dImpl*, std::optional<double>>> norms;
  for (auto& m : model->modules(/*include_self=*/false))
    if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      norms.emplace_back(bn, bn->options.momentum());
      bn->options.momentum(std::nullopt);  // a cumulative average over the batches below
      bn->reset_running_stats();
    }
  model->train();
  const auto device = model->head.device();
  for (const auto& batch : shuffled_batches(samples, batch_size, 0))
    model->net->forward(gather_pixels(data, batch, device));
  for (auto& [bn, momentum] : norms) bn->options.momentum(momentum);
  model->train(was_training);
}

std::vector<torch::Tensor> parameter_copy(const FaceModel& model) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> out;
  for (const auto& p : model->parameters()) out.push_back(p.detach().clone());
  return out;
}

double land_on_target(FaceModel& model, const std::vector<torch::Tensor>& from, const FaceImages& data,
                      const std::vector<int64_t>& samples, int64_t batch_size, double target,
                      const AmSoftmaxSettings& am) {
  const auto to = parameter_copy(model);
  CS_ASSERT(to.size() == from.size(), "land_on_target: weights of another model");
  auto set_at = [&](double t) {  // from + t (to - from), batch norm recomputed; its fit
    {
      torch::NoGradGuard no_grad;
      auto params = model->parameters();
      for (size_t i = 0; i < params.size(); ++i) params[i].copy_(from[i] + t * (to[i] - from[i]));
    }
    recompute_batch_norm(model, data, samples, batch_size);
    return face_fit(model, data, samples, am).loss;
  };
  double lo = 0, hi = 1;
  for (int i = 0; i < 16; ++i) {
    const double t = (lo + hi) / 2, loss = set_at(t);
    if (loss < target / 2) {
      hi = t;
    } else if (loss >= target) {
      lo = t;
    } else {
      return t;
    }
  }
  set_at(hi);  // the nearest point found below the target
  return hi;
}

FaceFit face_fit(FaceModel& model, const FaceImages& data, const std::vector<int64_t>& samples,
                 const AmSoftmaxSettings& am) {
  CS_ASSERT(!samples.empty(), "measuring a face model's fit on no image");
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  const auto device = model->head.device();
  double loss = 0, correct = 0;
  constexpr size_t kChunk = 256;
  for (size_t at = 0; at < samples.size(); at += kChunk) {
    const std::vector<int64_t> chunk(samples.begin() + long(at),
                                     samples.begin() + long(std::min(samples.size(), at + kChunk)));
    const auto embeddings = model->net->forward(gather_pixels(data, chunk, device));  // [B, D]
    const auto labels = gather_labels(data, chunk, device);                           // [B]
    loss += am_softmax_loss(embeddings, model->head, labels, am).item<double>() * double(chunk.size());
    namespace F = torch::nn::functional;
    const auto unit = F::NormalizeFuncOptions().dim(1);
    const auto cosines = torch::mm(F::normalize(embeddings, unit), F::normalize(model->head, unit).t());  // [B, K]
    correct += cosines.argmax(1).eq(labels).sum().item<double>();
  }
  model->train(was_training);
  return {loss / double(samples.size()), correct / double(samples.size())};
}

FaceTrainSummary train_face_model(FaceModel& model, const FaceImages& data, const std::vector<int64_t>& samples,
                                  const FaceTrainOptions& options, const FaceEpochCallback& on_epoch) {
  CS_ASSERT(!samples.empty(), "training a face model on no image");
  const auto device = model->head.device();
  torch::optim::SGD optimizer(
      model->parameters(),
      torch::optim::SGDOptions(options.lr).momentum(options.momentum).weight_decay(options.weight_decay));
  auto& group_options = static_cast<torch::optim::SGDOptions&>(optimizer.param_groups().front().options());
  const int64_t steps_per_epoch = int64_t(shuffled_batches(samples, options.batch_size, 0).size());
  const int64_t total_steps = steps_per_epoch * options.epochs;
  FaceTrainSummary summary;
  // The fit is measured after every epoch, and after every step once it is within 3x
  // of the target. Batch norm's statistics are recomputed first: with a few steps per
  // epoch the running averages lag far behind the weights (a shadow model at 0.49 on its
  // batches measured 19.9 in eval mode), and the eval-mode model is what is scored.
  auto measure = [&] {
    recompute_batch_norm(model, data, samples, options.batch_size);
    summary.fit = face_fit(model, data, samples, options.am);
    return summary.fit->loss;
  };
  // The weights at the start of the stretch being measured (an epoch, or a step once
  // close), while the loss was still above the target. Below target / 2 the stretch
  // overshot (at SGD's learning rate one step can take the loss down fivefold, and
  // stages would end far apart): land_on_target walks back along it.
  std::vector<torch::Tensor> start;
  auto reached_target = [&] {
    if (measure() >= options.target_loss) return false;
    if (summary.fit->loss >= options.target_loss / 2 || start.empty()) return true;
    summary.last_stretch =
        land_on_target(model, start, data, samples, options.batch_size, options.target_loss, options.am);
    summary.fit = face_fit(model, data, samples, options.am);
    return true;
  };
  double best = std::numeric_limits<double>::infinity();
  int64_t since_best = 0, step = 0;
  model->train();
  for (int64_t epoch = 1; epoch <= options.epochs && summary.stopped_by == "epochs"; ++epoch) {
    double total = 0;
    int64_t steps = 0;
    const bool close = options.target_loss > 0 && summary.fit && summary.fit->loss < 3 * options.target_loss;
    if (options.target_loss > 0 && !close) start = parameter_copy(model);
    for (const auto& batch : shuffled_batches(samples, options.batch_size, options.seed * 1000003 + uint64_t(epoch))) {
      if (options.warmup_cosine) group_options.lr(scheduled_lr(options.lr, step, total_steps));
      if (close) start = parameter_copy(model);
      ++step, ++steps;
      const auto loss = am_softmax_loss(model->net->forward(gather_pixels(data, batch, device)), model->head,
                                        gather_labels(data, batch, device), options.am);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      total += loss.item<double>();
      if (close && reached_target()) {
        summary.stopped_by = "target_loss";
        break;
      }
    }
    summary.epochs = epoch;
    const double mean = total / double(steps);
    if (on_epoch) on_epoch(epoch, mean);
    // Close, the epoch's last step measured these weights already.
    if (summary.stopped_by == "epochs" && options.target_loss > 0 && !close && reached_target())
      summary.stopped_by = "target_loss";
    if (summary.fit) summary.epoch_fit_loss.push_back(summary.fit->loss);
    if (summary.stopped_by != "epochs") break;
    // A plateau of the training loss (batch statistics: the eval-mode fit rises while
    // the running statistics lag behind early, fast-moving weights).
    if (mean < 0.95 * best) {
      best = mean;
      since_best = 0;
    } else if (options.patience > 0 && ++since_best >= options.patience) {
      summary.stopped_by = "plateau";
    }
  }
  model->eval();
  return summary;
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
