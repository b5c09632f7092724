// The face methods that train on labels (CLEAR's cv/unlearning scripts): finetune and
// retrain (AM-Softmax on the retain images; retrain from a fresh model), sparsity (the
// same plus l1_weight |theta|_1) and neggrad (a pass of -AM-Softmax on forget, then one
// of AM-Softmax on retain, per epoch).
#include "faces/face_method_steps.h"

namespace clear_sweep {
namespace {

void train_on_retain(FaceModel& model, const FaceModel& /*original*/, const FaceImages& data,
                     const std::vector<int64_t>& /*forget*/, const std::vector<int64_t>& retain,
                     const FaceUnlearnSettings& s, const FaceEpochCallback& on_epoch) {
  const auto device = model->head.device();
  const auto seed = [&](int64_t epoch) { return epoch_seed(s, epoch); };
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
    if (s.method == "retrain") t.warmup_cosine = true, t.target_loss = s.target_loss, t.patience = s.patience;
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
}

void neggrad(FaceModel& model, const FaceModel& /*original*/, const FaceImages& data,
             const std::vector<int64_t>& forget, const std::vector<int64_t>& retain, const FaceUnlearnSettings& s,
             const FaceEpochCallback& on_epoch) {
  const auto seed = [&](int64_t epoch) { return epoch_seed(s, epoch); };
  auto optimizer = sgd(model->parameters(), s);
  model->eval();  // CLEAR's neggrad keeps batch norm's running statistics
  for (int64_t epoch = 1; epoch <= s.epochs; ++epoch) {
    label_epoch(model, optimizer, data, forget, -1.0, s, epoch, seed(epoch), false);
    const double loss = label_epoch(model, optimizer, data, retain, 1.0, s, epoch, seed(epoch) + 1, false);
    if (on_epoch) on_epoch(epoch, loss);
  }
}

const FaceMethodRegistration kFinetune{"finetune", train_on_retain};
const FaceMethodRegistration kRetrain{"retrain", train_on_retain};
const FaceMethodRegistration kSparsity{"sparsity", train_on_retain};
const FaceMethodRegistration kNeggrad{"neggrad", neggrad};

}  // namespace
}  // namespace clear_sweep
