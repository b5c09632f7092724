// Training and evaluating a face model: SGD with momentum over AM-Softmax, the way
// CLEAR's visual code trains its ResNet (its finetune, retrain and gold models), and the
// nearest-centroid accuracies of Table 2 (forget, retain, holdout).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "eval/nearest_centroid.h"
#include "faces/face_images.h"
#include "faces/face_model.h"

namespace clear_sweep {

struct FaceTrainOptions {
  int64_t epochs = 10;  ///< with a stopping rule below, the most there may be
  double lr = 0.05;
  int64_t batch_size = 64;
  double momentum = 0.9;
  double weight_decay = 5e-5;  ///< CLEAR's
  AmSoftmaxSettings am;
  uint64_t seed = 0;  ///< shuffling order
  /// How the stages train (CLEAR's finetune.py warms up, then decays; its unlearning
  /// scripts keep lr fixed, as the default here): lr rises linearly over the first tenth
  /// of the steps, then falls on a cosine to 0 at the last step of `epochs`.
  bool warmup_cosine = false;
  /// Stop once the fit's loss (face_fit after recompute_batch_norm, so the model ends
  /// with precise statistics) is below this, landing within [target / 2, target]; 0:
  /// never.
  double target_loss = 0;
  /// Stop once the fit's loss has not fallen below 0.95 x its best for this many
  /// epochs (a plateau); 0: never.
  int64_t patience = 0;
};

/// How well a model fits images: the AM-Softmax loss and the share of images whose
/// nearest class row (cosine) is their own, batch norm in eval mode, no gradient.
struct FaceFit {
  double loss = 0, accuracy = 0;
};
FaceFit face_fit(FaceModel& model, const FaceImages& data, const std::vector<int64_t>& samples,
                 const AmSoftmaxSettings& am = {});

/// Batch norm's running statistics recomputed over `samples` (a cumulative average over
/// batches of batch_size, in training mode, no gradient): "precise BN". Weights stay.
void recompute_batch_norm(FaceModel& model, const FaceImages& data, const std::vector<int64_t>& samples,
                          int64_t batch_size);

/// The model's parameters, copied (batch norm's buffers left out: they are recomputed).
std::vector<torch::Tensor> parameter_copy(const FaceModel& model);

/// A line search back from the model's weights (fit below target / 2) towards `from`
/// (a parameter_copy whose fit is at or above target), by bisection on t in [0, 1]: the
/// model is left at from + t (current - from), batch norm recomputed, with its fit in
/// [target / 2, target); where 16 halvings find no such point, at the nearest one found
/// below target. Returns t.
double land_on_target(FaceModel& model, const std::vector<torch::Tensor>& from, const FaceImages& data,
                      const std::vector<int64_t>& samples, int64_t batch_size, double target,
                      const AmSoftmaxSettings& am = {});

/// What a training run did: epochs run and why it stopped ("epochs", "target_loss",
/// "plateau"). With a stopping rule, the fit after each epoch and at the end.
struct FaceTrainSummary {
  int64_t epochs = 0;
  std::string stopped_by = "epochs";
  std::vector<double> epoch_fit_loss;
  std::optional<FaceFit> fit;
  /// Where the target was overshot (below target / 2), the share of the last stretch
  /// kept by the line search back along it; 1: not shortened.
  double last_stretch = 1;
};

/// Called after each epoch with its 1-based index and the mean loss of its steps.
using FaceEpochCallback = std::function<void(int64_t epoch, double mean_loss)>;

/// Trains every parameter (embedder and head) on `samples` (indices into data), batch
/// norm in training mode, samples reshuffled each epoch. The model stays on its device.
FaceTrainSummary train_face_model(FaceModel& model, const FaceImages& data, const std::vector<int64_t>& samples,
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

/// Batches of `samples` in a seeded shuffled order: as few as batch_size allows, their
/// sizes differing by at most one.
std::vector<std::vector<int64_t>> shuffled_batches(std::vector<int64_t> samples, int64_t batch_size, uint64_t seed);

/// The rows of data.pixels at `indices`, on `device`: [B, 3, S, S].
torch::Tensor gather_pixels(const FaceImages& data, const std::vector<int64_t>& indices, const torch::Device& device);
/// data.labels at `indices` as [B] int64 on `device`.
torch::Tensor gather_labels(const FaceImages& data, const std::vector<int64_t>& indices, const torch::Device& device);

}  // namespace clear_sweep
