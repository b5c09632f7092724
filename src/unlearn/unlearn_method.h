// An unlearning method: the loss of one step on a forget batch and its paired retain
// batch, as the papers define them. Methods are made by name from
// a job (make_method); their hyperparameters were validated when the sweep was planned
// (sweep/method_catalog). A new method is a class in its family's file and one
// MethodRegistration beside it (method_registry.h), plus its catalog entry.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "model/vlm.h"
#include "sweep/job.h"

namespace clear_sweep {

/// What a step's forget items are also asked with, besides their true answers.
enum class AltAnswers { none, refusals, random_answers };

/// One step's inputs. `forget_alt` holds the forget prompts with refusals (idk, dpo) or
/// with random other answers (llmu); undefined for other methods.
struct MethodBatch {
  ModelInputs forget;
  ModelInputs retain;
  ModelInputs forget_alt;
  /// [B] log p(answer | prompt) of each forget row under a frozen oracle model, for
  /// methods whose reference is not the model before unlearning; undefined otherwise.
  torch::Tensor forget_reference;
};

/// Which half of SCRUB's alternation a step is; other methods only run `joint` steps.
enum class StepKind { joint, max_forget, min_retain };

class UnlearnMethod {
 public:
  virtual ~UnlearnMethod() = default;
  virtual std::string name() const = 0;
  virtual AltAnswers alt_answers() const { return AltAnswers::none; }
  /// True when its reference is an oracle model (the gold stage's), whose log-probabilities
  /// of the forget answers the loop hands in as MethodBatch::forget_reference.
  virtual bool wants_oracle_reference() const { return false; }
  /// What the method keeps between steps (PDU's dual variable), saved with a search
  /// trial's training state so that a resumed trial goes on as one long run would.
  virtual std::vector<double> state() const { return {}; }
  virtual void restore_state(const std::vector<double>& /*state*/) {}
  /// The steps an epoch (0-based) runs, in order; SCRUB alternates passes.
  virtual std::vector<StepKind> epoch_steps(int64_t /*epoch*/) const { return {StepKind::joint}; }
  /// The loss to minimise (adapters on; the teacher is the model with adapters off).
  virtual torch::Tensor loss(Vlm& model, const MethodBatch& batch, StepKind kind) = 0;
};

/// The method a job names, with its hyperparameters. Error (key "method") for a name
/// without an implementation; rmu's layer is checked against the model's depth here.
std::unique_ptr<UnlearnMethod> make_method(const Job& job, const ModelConfig& config);

/// Every method make_method knows, by name: each method family's file registers its
/// own (method_registry.h). The catalog's VLM methods must all be here, and no other.
std::vector<std::string> registered_methods();

}  // namespace clear_sweep
