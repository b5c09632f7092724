// Internal to src/faces: what the face unlearning methods share (their optimiser, a
// checked step, epochs of label or embedding steps) and their registry. Each method
// registers itself in the file that implements it (face_*_methods.cpp).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "faces/face_methods.h"

namespace clear_sweep {

/// One face method: unlearns `forget` from `model` (changed in place), keeping
/// `retain`; `original` is the model before unlearning (read only).
using FaceMethod =
    std::function<void(FaceModel& model, const FaceModel& original, const FaceImages& data,
                       const std::vector<int64_t>& forget, const std::vector<int64_t>& retain,
                       const FaceUnlearnSettings& settings, const FaceEpochCallback& on_epoch)>;

/// Registers at static initialisation; a name registered twice is a bug.
struct FaceMethodRegistration {
  FaceMethodRegistration(const std::string& name, FaceMethod method);
};

torch::optim::SGD sgd(std::vector<torch::Tensor> params, const FaceUnlearnSettings& s);

/// One optimiser step on `loss`; a loss that is not finite stops the method with an
/// error naming it, as the VLM loop does (a diverged run has no meaningful result).
double take_step(torch::optim::SGD& optimizer, const torch::Tensor& loss, const FaceUnlearnSettings& s, int64_t epoch);

/// `samples` `times` times over (at least once).
std::vector<int64_t> repeated(const std::vector<int64_t>& samples, int64_t times);

/// Per-sample regression targets for the embedding-matching methods, indexed by sample
/// (rows of samples not in the set stay zero).
struct Targets {
  torch::Tensor rows;  ///< [N, D]
  torch::Tensor sign;  ///< [N]: +1 pull, -1 push (scrub_bio)
};

/// One pass of embedding regression over `samples` (scrub_bio, twins, face_rmu).
double embedding_epoch(FaceModel& model, torch::optim::SGD& optimizer, const FaceImages& data,
                       const std::vector<int64_t>& samples, const Targets& targets, const FaceUnlearnSettings& s,
                       int64_t epoch, uint64_t seed);

/// One pass of (+-) AM-Softmax steps over `samples`, with the L1 penalty when `l1`.
double label_epoch(FaceModel& model, torch::optim::SGD& optimizer, const FaceImages& data,
                   const std::vector<int64_t>& samples, double sign, const FaceUnlearnSettings& s, int64_t epoch,
                   uint64_t seed, bool l1);

/// The shuffling seed of an epoch.
inline uint64_t epoch_seed(const FaceUnlearnSettings& s, int64_t epoch) { return s.seed * 1000003 + uint64_t(epoch); }

}  // namespace clear_sweep
