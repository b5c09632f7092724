// The face kind's stages (sweep/stage.h): the base ResNet on every trained person, the
// gold one per forget fraction on its retain persons, and shadow model k on split k of
// U-MIA / U-LIRA (shadow_splits.h). Each is a folder under the artifacts root named by
// the stage's id, with model.safetensors and stage.json, written as the VLM's stages are
// (whole or not at all; a damaged one set aside and trained again).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "faces/face_images.h"
#include "faces/face_training.h"
#include "faces/shadow_splits.h"
#include "model/finetune_stage.h"
#include "sweep/stage.h"
#include "sweep/sweep_spec.h"

namespace clear_sweep {

/// The persons in the forget pool of the shadow models (the forget persons of the
/// stage's pool fraction), the holdout pool (as many holdout persons, or all there are),
/// and the other trained persons.
struct ShadowPools {
  std::vector<int64_t> forget, holdout, others;
};
ShadowPools shadow_pools(const Dataset& dataset, double pool_fraction);

/// The split a train_shadow stage trains on (its seed: the data's).
ShadowSplit stage_split(const Dataset& dataset, const Stage& stage);

/// The persons a face stage trains on.
std::vector<int64_t> face_stage_persons(const Dataset& dataset, const Stage& stage);

/// How [finetune] trains face stages; each stage has its own seed for the initial
/// weights and the shuffling.
FaceTrainOptions face_stage_options(const SweepSpec& spec, const Stage& stage);

/// The stage's final training loss as its stage.json records it ("final_loss": on its
/// images, batch norm in eval mode); NaN for a stage written before it was recorded.
double face_stage_final_loss(const std::string& artifacts_root, const Stage& stage);

/// Trains the stage unless its artifact exists whole. `log` gets a line per epoch.
StageResult run_face_stage(const SweepSpec& spec, const Stage& stage, const Dataset& dataset, const FaceImages& faces,
                           const std::string& artifacts_root, const torch::Device& device,
                           const std::function<void(const std::string&)>& log = {},
                           const FaceEpochCallback& on_epoch = {});

}  // namespace clear_sweep
