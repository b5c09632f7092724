// Attacks on an unlearned model ([eval] attacks), each scored by the forget metrics
// again (eval/clear_metrics.h forget_attack_metrics), so a sweep tells forgetting that
// holds from forgetting that only hides:
//   relearn  a few steps of finetuning on part of the forget set, then the rest is scored,
//            or on the forget set's paraphrased answers, then its own answers are
//            (Hu et al., 2024, "Jogging the memory of unlearned LLMs"); the unlearned
//            model is scored on the same items first (stage relearn_before);
//   quant8   the merged model in int8, round to nearest, per output channel;
//   quant4   the merged model in 4 bits, round to nearest, per group of input columns
//            (Zhang et al., 2024, "Does your LLM truly unlearn?").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/items.h"
#include "data/tokenizer.h"
#include "eval/model_eval.h"
#include "model/lora_linear.h"
#include "model/model_inputs.h"
#include "sweep/sweep_spec.h"

namespace clear_sweep {

/// The items relearned on and the items scored after, from a forget evaluation set in
/// its order: every item whose running share crosses a multiple of 1/fraction is
/// relearned on, so both parts spread evenly over the persons. Both parts are non-empty
/// when the set has 2 items or more.
struct RelearnSplit {
  std::vector<ItemRef> relearn, scored;
};
RelearnSplit relearn_split(const std::vector<ItemRef>& forget, double fraction);

struct RelearnOptions {
  int64_t steps = 10;
  double lr = 1e-4;
  int64_t batch_size = 4;
  uint64_t seed = 0;         ///< the batches' order, and fresh adapters' initialisation
  LoraSpec fresh;            ///< adapters for a model that has none (the Original, the Gold)
  bool paraphrases = false;  ///< train on the items' paraphrased answers (items without one are skipped)
};

/// Finetunes the model's adapters (fresh ones, by `fresh`, where it has none) with the
/// answers' cross entropy on `items`, `steps` AdamW steps at a constant lr, in seeded
/// epochs of the items. The model keeps the trained adapters. Returns each step's loss
/// (none when no item has what to train on).
std::vector<double> relearn(Vlm& model, const Tokenizer& tokenizer, const Dataset& dataset, ImageTensors& images,
                            const std::vector<ItemRef>& items, const RelearnOptions& options);

struct AttackContext {
  const Tokenizer& tokenizer;
  const Dataset& dataset;
  ImageTensors& images;
  std::vector<ItemRef> forget;  ///< the forget evaluation set
  ScoreOptions score;
  TruthRatioForm truth_ratio = TruthRatioForm::per_item;
  uint64_t seed = 0;  ///< relearning's (the job's seed)
  LoraSpec fresh;     ///< relearning's adapters for a model without any
};

/// Runs `spec`'s attacks on `model` as it is (its adapters, if any, are what unlearning
/// left): the quantizations first, each undone after scoring, relearning last. Returns
/// the attack_<stage>_<metric> columns (store/metric_columns.h) of the attacks run. The
/// model ends with the adapters relearning trained (fresh ones it had none of are
/// detached again).
std::map<std::string, double> run_attacks(Vlm& model, const AttackSpec& spec, const AttackContext& context);

}  // namespace clear_sweep
