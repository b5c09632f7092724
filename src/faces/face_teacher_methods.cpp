// The face methods that compare with the original model on paired forget and retain
// batches (CLEAR's cv dpo and llmu scripts): face_dpo and face_llmu.
#include <algorithm>
#include <random>

#include "faces/face_method_steps.h"

namespace clear_sweep {
namespace {

void paired_with_teacher(FaceModel& model, const FaceModel& original, const FaceImages& data, const std::vector<int64_t>& forget,
          const std::vector<int64_t>& retain, const FaceUnlearnSettings& s, const FaceEpochCallback& on_epoch) {
  const auto device = model->head.device();
  const auto seed = [&](int64_t epoch) { return epoch_seed(s, epoch); };
  FaceModel teacher = clone_face_model(original);
  teacher->eval();
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
}

const FaceMethodRegistration kFaceDpo{"face_dpo", paired_with_teacher};
const FaceMethodRegistration kFaceLlmu{"face_llmu", paired_with_teacher};

}  // namespace
}  // namespace clear_sweep
