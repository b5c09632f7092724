#include "faces/face_methods.h"

#include <algorithm>
#include <random>
#include <set>
#include <stdexcept>

#include "common/error.h"

namespace clear_sweep {
namespace {

namespace F = torch::nn::functional;

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

// Per-sample regression targets [N, D] for the embedding-matching methods, indexed by
// sample (rows of samples not in the set stay zero).
struct Targets {
  torch::Tensor rows;  // [N, D]
  torch::Tensor sign;  // [N]: +1 pull, -1 push (scrub_bio)
};

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

}  // namespace

const std::vector<std::string>& face_method_names() {
  static const std::vector<std::string> names = {"finetune", "retrain",  "neggrad",   "scrub_bio", "twins",
                                                 "sparsity", "face_dpo", "face_llmu", "face_rmu"};
  return names;
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
  const auto& names = face_method_names();
  if (std::find(names.begin(), names.end(), s.method) == names.end())
    throw Error({}, "method", "'" + s.method + "' is not a face unlearning method");
  CS_ASSERT(!forget.empty() && !retain.empty(), "face unlearning needs forget and retain images");
  const auto device = model->head.device();
  const auto seed = [&](int64_t epoch) { return s.seed * 1000003 + uint64_t(epoch); };

  if (s.method == "retrain" || s.method == "finetune" || s.method == "sparsity") {
    if (s.method == "retrain") {
      torch::manual_seed(s.seed);
      FaceModel fresh(model->net->width(), model->identities());
      fresh->to(device);
      model = fresh;
    }
    if (s.method != "sparsity") {
      FaceTrainOptions t;
      t.epochs = s.epochs, t.lr = s.lr, t.batch_size = s.batch_size, t.momentum = s.momentum;
      t.weight_decay = s.weight_decay, t.am = s.am, t.seed = s.seed;
      train_face_model(model, data, retain, t, on_epoch);
      return;
    }
    auto optimizer = sgd(model->parameters(), s);
    model->train();
    for (int64_t epoch = 1; epoch <= s.epochs; ++epoch) {
      const double loss = label_epoch(model, optimizer, data, retain, 1.0, s, epoch, seed(epoch), /*l1=*/true);
      if (on_epoch) on_epoch(epoch, loss);
    }
    model->eval();
    return;
  }

  if (s.method == "neggrad") {
    auto optimizer = sgd(model->parameters(), s);
    model->eval();  // CLEAR's neggrad keeps batch norm's running statistics
    for (int64_t epoch = 1; epoch <= s.epochs; ++epoch) {
      label_epoch(model, optimizer, data, forget, -1.0, s, epoch, seed(epoch), false);
      const double loss = label_epoch(model, optimizer, data, retain, 1.0, s, epoch, seed(epoch) + 1, false);
      if (on_epoch) on_epoch(epoch, loss);
    }
    return;
  }

  FaceModel teacher = clone_face_model(original);
  teacher->eval();
  if (s.method == "face_dpo" || s.method == "face_llmu") {
    auto optimizer = sgd(model->parameters(), s);
    model->eval();                       // as CLEAR's dpo and llmu scripts
    std::vector<int64_t> retain_labels;  // llmu's random labels: the retain identities
    for (int64_t i : retain) retain_labels.push_back(data.labels[size_t(i)]);
    std::sort(retain_labels.begin(), retain_labels.end());
    retain_labels.erase(std::unique(retain_labels.begin(), retain_labels.end()), retain_labels.end());
    std::mt19937_64 label_rng(s.seed + 17);
    for (int64_t epoch = 1; epoch <= s.epochs; ++epoch) {
      const auto forget_batches = shuffled_batches(repeated(forget, s.balance), s.batch_size, seed(epoch));
      const auto retain_batches = shuffled_batches(retain, s.batch_size, seed(epoch) + 1);
      const size_t steps = std::min(forget_batches.size(), retain_batches.size());  // zip, as CLEAR's loop
      double total = 0;
      for (size_t step = 0; step < steps; ++step) {
        // DPO pairs image i of one batch with image i of the other: equal sizes (CLEAR
        // drops short batches; here the longer of a pair is cut to the shorter).
        auto forget_batch = forget_batches[step], retain_batch = retain_batches[step];
        const size_t pair = std::min(forget_batch.size(), retain_batch.size());
        forget_batch.resize(pair), retain_batch.resize(pair);
        const auto f = gather_pixels(data, forget_batch, device);
        const auto f_labels = gather_labels(data, forget_batch, device);
        const auto r = gather_pixels(data, retain_batch, device);
        const auto r_labels = gather_labels(data, retain_batch, device);
        torch::Tensor loss;
        if (s.method == "face_dpo") {
          torch::Tensor f0, r0;
          {
            torch::NoGradGuard no_grad;
            f0 = class_logits(teacher->net->forward(f), teacher->head);
            r0 = class_logits(teacher->net->forward(r), teacher->head);
          }
          loss = face_dpo_loss(class_logits(model->net->forward(f), model->head), f0, f_labels,
                               class_logits(model->net->forward(r), model->head), r0, r_labels, s.beta);
        } else {
          std::vector<int64_t> random;
          std::uniform_int_distribution<size_t> pick(0, retain_labels.size() - 1);
          for (size_t i = 0; i < pair; ++i) random.push_back(retain_labels[pick(label_rng)]);
          const auto f_embed = model->net->forward(f);
          torch::Tensor r0;
          {
            torch::NoGradGuard no_grad;
            r0 = teacher->net->forward(r);
          }
          // CLEAR's cv llmu takes the KL over the softmax of the embeddings themselves.
          loss = -s.forget_weight * am_softmax_loss(f_embed, model->head, f_labels, s.am) +
                 s.random_weight *
                     am_softmax_loss(f_embed, model->head, torch::tensor(random, torch::kInt64).to(device), s.am) +
                 s.retain_weight * kl_batchmean(model->net->forward(r), r0);
        }
        total += take_step(optimizer, loss, s, epoch);
      }
      if (on_epoch) on_epoch(epoch, steps ? total / double(steps) : 0.0);
    }
    return;
  }

  // Embedding regression: scrub_bio, twins, face_rmu. Targets come from the original model.
  const int64_t n = data.pixels.size(0), dim = model->net->embedding_dim();
  Targets targets{torch::zeros({n, dim}), torch::ones({n})};
  {
    const auto forget_index = torch::tensor(forget, torch::kInt64);
    const auto retain_index = torch::tensor(retain, torch::kInt64);
    const auto forget_pixels = data.pixels.index_select(0, forget_index);
    if (s.method == "twins") {
      targets.rows.index_copy_(0, forget_index, embed_faces(teacher->net, forget_pixels.flip({3})));
    } else if (s.method == "face_rmu") {
      torch::manual_seed(s.seed + 29);
      targets.rows.index_copy_(0, forget_index, s.steering * (2 * torch::rand({int64_t(forget.size()), dim}) - 1));
    } else {
      targets.rows.index_copy_(0, forget_index, embed_faces(teacher->net, forget_pixels));
      targets.sign.index_fill_(0, forget_index, -1.0);
    }
    if (s.method != "twins")  // twins trains on forget images only
      targets.rows.index_copy_(0, retain_index, embed_faces(teacher->net, data.pixels.index_select(0, retain_index)));
  }
  std::vector<int64_t> samples = repeated(forget, s.balance);
  if (s.method != "twins") samples.insert(samples.end(), retain.begin(), retain.end());
  auto optimizer = sgd(model->net->parameters(), s);
  model->train();
  for (int64_t epoch = 1; epoch <= s.epochs; ++epoch) {
    const double loss = embedding_epoch(model, optimizer, data, samples, targets, s, epoch, seed(epoch));
    if (on_epoch) on_epoch(epoch, loss);
  }
  model->eval();
}

}  // namespace clear_sweep
