// The methods a sweep may name, with their hyperparameters and what they need.
//
// This is the declarative half of the unlearning registry. It lives here, free of
// libtorch, so that `plan` validates a sweep (method names, hyperparameter names, types
// and ranges) before any job starts; src/unlearn/ binds an implementation to each entry.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sweep/hparam.h"

namespace clear_sweep {

/// Which model a method unlearns: the vision-language model (presets tiny, small,
/// llava-1.5-7b, or a model folder), or the face-recognition ResNet of CLEAR's visual
/// benchmark (preset resnet18-faces, src/faces/).
enum class ModelKind { vlm, faces };

/// "the VLM" or "resnet18-faces", for messages.
const char* model_kind_name(ModelKind kind);

/// The model preset that selects the face kind.
inline constexpr const char* kFacePreset = "resnet18-faces";

/// What a method needs from the worker beyond its forget batches.
struct MethodNeeds {
  bool model = true;           ///< a VLM, hence the dataset and the finetune stages
  bool retain = false;         ///< retain batches, paired 1:1 with forget batches
  bool teacher = false;        ///< the frozen pre-unlearning model (base with adapters off)
  bool refusals = false;       ///< "I don't know"-style answers
  bool hidden_states = false;  ///< a decoder layer's hidden states (RMU)
};

struct MethodInfo {
  std::string name;
  std::string summary;  ///< the loss in one line, as `clear-sweep methods` prints it
  MethodNeeds needs;
  /// True for every method that trains LoRA adapters: those share the training
  /// hyperparameters of training_hparams() (lr, epochs, l1_lambda, ...).
  bool trains = true;
  std::vector<HParamDecl> own_hparams;  ///< the method's own, beyond the shared ones
  /// Cost of one forget/retain pair, in forward+backward passes over one item (a
  /// forward alone counts 1/3). Only the scheduler's ordering uses it (job_cost.h).
  double passes_per_pair = 1.0;
  /// The model it unlearns (needs.model). A sweep whose [model] is of another kind is
  /// refused at plan time, naming both.
  ModelKind kind = ModelKind::vlm;
};

/// gd's `forget_term` and `retain_term` (integer hyperparameters, so that a search can
/// choose among them): CE, the answers' entropy, or KL(teacher || theta).
inline constexpr int64_t kForgetCe = 0, kForgetEntropy = 1, kForgetKl = 2;
inline constexpr int64_t kRetainCe = 0, kRetainKl = 1;

/// The face kind's hyperparameter that sets U-MIA / U-LIRA's size: N target and N shadow
/// models on each side (4N models, each unlearned by the job's method); 0: no attack.
inline constexpr const char* kShadowModelsHParam = "shadow_models";

/// Every method, in the order users see them listed.
const std::vector<MethodInfo>& method_catalog();

/// The hyperparameters every training method shares, ordered by name.
const std::vector<HParamDecl>& training_hparams();

/// nullptr when `name` is not a method.
const MethodInfo* method_find(std::string_view name);

/// "retain_ft, ga, gd, ...": for error messages that list the valid choices.
std::string method_names_joined();

/// The model-training methods of one kind, joined as above.
std::string method_names_joined(ModelKind kind);

/// Every hyperparameter `method` accepts (shared and own), ordered by name.
std::vector<HParamDecl> method_hparams(const MethodInfo& method);

/// The declaration of `name` for `method`, or nullptr.
const HParamDecl* method_hparam(const MethodInfo& method, std::string_view name);

}  // namespace clear_sweep
