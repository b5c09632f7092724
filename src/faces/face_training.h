// Training and evaluating a face model: SGD with momentum over AM-Softmax, the way
// CLEAR's visual code trains its ResNet (its finetune, retrain and gold models), and the
// nearest-centroid accuracies of Table 2 (forget, retain, holdout).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "eval/nearest_centroid.h"
#include "faces/face_images.h"
#include "faces/face_model.h"

namespace clear_sweep {

struct FaceTrainOptions {
  int64_t epochs = 10;
  double lr = 0.05;
  int64_t batch_size = 64;
  double momentum = 0.9;
  double weight_decay = 5e-5;  ///< CLEAR's
  AmSoftmaxSettings am;
  uint64_t seed = 0;  ///< shuffling order
};

/// Called after each epoch with its 1-based index and the mean loss of its steps.
using FaceEpochCallback = std::function<void(int64_t epoch, double mean_loss)>;

/// Trains every parameter (embedder and head) on `samples` (indices into data), batch
/// norm in training mode, samples reshuffled each epoch. The model stays on its device.
void train_face_model(FaceModel& model, const FaceImages& data, const std::vector<int64_t>& samples,
                      const FaceTrainOptions& options, const FaceEpochCallback& on_epoch = {});

/// The embeddings of `pixels` [N, 3, S, S] (any device), batch norm in eval mode, no
/// gradient: [N, D] float32 on the CPU. The model's training flag is restored.
torch::Tensor embed_faces(ResNet18Embedder& net, const torch::Tensor& pixels, int64_t batch_size = 128);

/// Embeddings as the flat row-major floats nearest_centroid takes.
std::vector<float> embedding_rows(const torch::Tensor& embeddings);

/// Table 2's accuracies: nearest centroid over every image (all identities enrolled),
/// scored on the images of each person group.
struct FaceAccuracy {
  double forget = 0, retain = 0, holdout = 0;
  CentroidEval centroid;  ///< per image, for the attacks' similarities
};
FaceAccuracy evaluate_face_model(FaceModel& model, const FaceImages& data, const std::vector<int64_t>& forget_persons,
                                 const std::vector<int64_t>& retain_persons,
                                 const std::vector<int64_t>& holdout_persons, int64_t enroll = kDefaultEnrolled);

/// Every image's membership score under `model`: similarity_logit of its cosine with
/// its own identity's centroid (eval/shadow_attacks.h), as CLEAR's attack.py scores. [N]
std::vector<double> membership_scores(FaceModel& model, const FaceImages& data, int64_t enroll = kDefaultEnrolled);

/// Batches of `samples` in a seeded shuffled order (the last one may be short).
std::vector<std::vector<int64_t>> shuffled_batches(std::vector<int64_t> samples, int64_t batch_size, uint64_t seed);

/// The rows of data.pixels at `indices`, on `device`: [B, 3, S, S].
torch::Tensor gather_pixels(const FaceImages& data, const std::vector<int64_t>& indices, const torch::Device& device);
/// data.labels at `indices` as [B] int64 on `device`.
torch::Tensor gather_labels(const FaceImages& data, const std::vector<int64_t>& indices, const torch::Device& device);

}  // namespace clear_sweep
