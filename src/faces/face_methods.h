// The unlearning methods of CLEAR's visual benchmark, for a face model (its cv/unlearning
// scripts). Each starts from the original (finetuned) model and changes it in place:
//   finetune   AM-Softmax on the retain images
//   retrain    a fresh model trained on the retain images only (the gold standard)
//   neggrad    each epoch: a pass of -AM-Softmax steps on forget, then a pass of
//              AM-Softmax steps on retain
//   scrub_bio  cosine-embedding loss against the original's embeddings: pushed to
//              cosine <= 0 on forget, pulled to 1 on retain
//   twins      MSE of the forget embedding to the original's embedding of the
//              horizontally flipped image
//   sparsity   AM-Softmax on retain + l1_weight * |theta|_1 of the embedder
//   face_dpo   -(1/beta) log sigmoid(beta log(p/p0)[retain label] - beta log(p/p0)[forget label]),
//              p = softmax of the head's raw logits (class_logits), p0 the original's
//   face_llmu  forget_weight * -AM(f) + random_weight * AM(f, random retain labels)
//              + retain_weight * KL(softmax(original embedding) || softmax(embedding)) on r
//   face_rmu   MSE to steering * U(-1, 1)^D (one fixed draw per forget image) on forget,
//              to the original's embedding on retain
// Optimiser: SGD with momentum 0.9 and weight decay, as CLEAR's scripts.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "faces/face_images.h"
#include "faces/face_model.h"
#include "faces/face_training.h"

namespace clear_sweep {

/// The methods above, by name: each registers itself in the file that implements it
/// (face_label_methods.cpp, face_teacher_methods.cpp, face_embedding_methods.cpp).
std::vector<std::string> face_method_names();

struct FaceUnlearnSettings {
  std::string method;
  int64_t epochs = 4;
  double lr = 0.01;
  int64_t batch_size = 64;
  double momentum = 0.9;
  double weight_decay = 5e-5;
  int64_t balance = 1;          ///< forget images repeated this often per epoch (CLEAR: 5 to 10)
  double beta = 1.0;            ///< face_dpo
  double steering = 2.0;        ///< face_rmu: the random targets' scale (CLEAR's C)
  double l1_weight = 1e-4;      ///< sparsity
  double forget_weight = 0.02;  ///< face_llmu (CLEAR's cv code)
  double random_weight = 0.01;  ///< face_llmu
  double retain_weight = 1.0;   ///< face_llmu
  /// retrain trains as the gold stage does (CLEAR's retrain.py is its finetune.py on the
  /// retain set): warm-up and cosine, stopped by [finetune]'s rule.
  double target_loss = 0;
  int64_t patience = 0;
  AmSoftmaxSettings am;
  uint64_t seed = 0;
};

/// SCRUB_bio's loss, torch's CosineEmbeddingLoss with margin 0: the batch mean of
/// (1 - cos(x, t)) where sign = +1 and max(0, cos(x, t)) where sign = -1. x, t [B, D];
/// sign [B].
torch::Tensor scrub_bio_loss(const torch::Tensor& x, const torch::Tensor& target, const torch::Tensor& sign);

/// KL(softmax(teacher) || softmax(student)) summed over classes, averaged over the batch
/// (KLDivLoss(reduction="batchmean") on log_softmax(student)). [B, K] each.
torch::Tensor kl_batchmean(const torch::Tensor& student, const torch::Tensor& teacher);

/// CLEAR's DPO on class logits: the forget label is the rejected answer, the retain
/// label the chosen one, each image paired with the other batch's. Logits [B, K] (the
/// model's and the original's), labels [B].
torch::Tensor face_dpo_loss(const torch::Tensor& forget_logits, const torch::Tensor& forget_logits0,
                            const torch::Tensor& forget_labels, const torch::Tensor& retain_logits,
                            const torch::Tensor& retain_logits0, const torch::Tensor& retain_labels, double beta);

/// The sum of |p| over the embedder's parameters (sparsity's penalty).
torch::Tensor l1_norm(ResNet18Embedder& net);

/// Unlearns `forget` (sample indices) from `model`, keeping `retain`, by settings.method.
/// `original` is the model before unlearning (a frozen copy; read only). Throws Error on
/// an unknown method, std::runtime_error ("METHOD diverged: ...") when a loss is not
/// finite. retrain replaces the model's weights with a fresh model's.
void unlearn_face_model(FaceModel& model, const FaceModel& original, const FaceImages& data,
                        const std::vector<int64_t>& forget, const std::vector<int64_t>& retain,
                        const FaceUnlearnSettings& settings, const FaceEpochCallback& on_epoch = {});

}  // namespace clear_sweep
