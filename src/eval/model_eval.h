// Evaluating a model on CLEAR's sets: for every item, the loss of its answer, of its
// paraphrase and of each wrong alternative (all rows of one batched forward pass per
// batch), and a greedy generation conditioned on the item's image. The numbers go to
// clear_metrics (clear_metrics.h). Uses libtorch (target cs_eval_model).
#pragma once

#include <cstdint>
#include <vector>

#include "data/dataset.h"
#include "data/items.h"
#include "data/tokenizer.h"
#include "eval/clear_metrics.h"
#include "model/model_inputs.h"
#include "model/vlm.h"

namespace clear_sweep {

/// The items of every evaluation set of one job.
struct EvalSets {
  std::vector<ItemRef> forget, retain, holdout;                    ///< person items of the modality
  std::vector<ItemRef> forget_faces, retain_faces, holdout_faces;  ///< face recognition
  std::vector<ItemRef> real_faces, real_world;
  std::vector<ItemRef> real_authors;  ///< TOFU's (its world facts are real_world)
  /// MLLMU-Bench's four sets (its eval.py's forget, test, retain_shared and
  /// retain_celebrity), every task and Type; empty for CLEAR.
  std::vector<ItemRef> mllmu_forget, mllmu_test, mllmu_retain, mllmu_celebrity;
};

/// Sets for a forget fraction and modality (CLEAR's, or MLLMU-Bench's for its datasets,
/// which ask every Type whatever the modality unlearned, capped by whole profiles), each capped at `max_items` (CLEAR:
/// 300) by an even spread over the set, so every person stays represented. A text-only
/// model (`sees_images` false) is scored on no face and no item with an image.
EvalSets eval_sets(const Dataset& dataset, double forget_fraction, Modality modality, int64_t max_items,
                   bool sees_images = true);
/// The same for a job's persons, worked out once (job_persons).
EvalSets eval_sets(const Dataset& dataset, const JobPersons& persons, Modality modality, int64_t max_items,
                   bool sees_images = true);

struct ScoreOptions {
  bool generate = true;
  int64_t max_new_tokens = 32;
  int64_t batch_size = 32;  ///< sequences per forward pass
  /// Prompts decoded together: the largest batch bucket of greedy generation (prompts
  /// grouped by length, finished rows dropped as they end).
  int64_t generation_batch = 64;
  bool gradient_norms = true;  ///< evaluate_model: GradNorm on the forget and holdout sets
};

/// Scores one set. Generations are decoded without the leading space.
SetScores score_set(Vlm& model, const Tokenizer& tokenizer, const Dataset& dataset, ImageTensors& images,
                    const std::vector<ItemRef>& items, const ScoreOptions& options);

/// open-unlearning's GradNorm statistic per item: the mean, over the model's weight
/// tensors (adapters included), of the L2 norm of the gradient of the item's mean
/// answer-token NLL; one backward pass per item. Trained-on items sit in flatter places,
/// with smaller gradients. Every weight is differentiated whether or not it trains, so
/// the Original, the Gold and LoRA-unlearned models are measured alike; a weight the
/// item does not reach (the vision tower, for a text question) has no gradient and is
/// left out of the mean, as open-unlearning leaves it.
std::vector<double> gradient_norms(Vlm& model, const Tokenizer& tokenizer, const Dataset& dataset, ImageTensors& images,
                                   const std::vector<ItemRef>& items);

/// Scores every set (the person sets and faces with generation, real sets by options, and
/// for TOFU with generation too; GradNorm on forget and holdout).
EvalInputs evaluate_model(Vlm& model, const Tokenizer& tokenizer, const Dataset& dataset, ImageTensors& images,
                          const EvalSets& sets, const ScoreOptions& options);

}  // namespace clear_sweep
