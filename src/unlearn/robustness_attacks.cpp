#include "unlearn/robustness_attacks.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "data/batch.h"
#include "model/autocast.h"
#include "model/fused_adamw.h"
#include "model/quantize.h"
#include "store/metric_columns.h"
#include "unlearn/losses.h"

namespace clear_sweep {
namespace {

bool has_adapters(Vlm& model) {
  const auto layers = model->linear_layers();
  return std::any_of(layers.begin(), layers.end(), [](const auto& l) { return l.second->has_adapter(); });
}

}  // namespace

RelearnSplit relearn_split(const std::vector<ItemRef>& forget, double fraction) {
  CS_ASSERT(fraction > 0 && fraction < 1, "relearn fraction must be in (0, 1)");
  RelearnSplit split;
  for (size_t i = 0; i < forget.size(); ++i) {
    const bool crosses = std::floor(double(i + 1) * fraction) > std::floor(double(i) * fraction);
    (crosses ? split.relearn : split.scored).push_back(forget[i]);
  }
  // A small set or share may cross no multiple, or every one.
  if (split.relearn.empty() && split.scored.size() >= 2) {
    split.relearn.push_back(split.scored.back());
    split.scored.pop_back();
  }
  if (split.scored.empty() && split.relearn.size() >= 2) {
    split.scored.push_back(split.relearn.back());
    split.relearn.pop_back();
  }
  return split;
}

std::vector<double> relearn(Vlm& model, const Tokenizer& tok, const Dataset& ds, ImageTensors& images,
                            const std::vector<ItemRef>& items, const RelearnOptions& o) {
  CS_ASSERT(o.steps > 0 && o.batch_size > 0, "relearning needs steps and a batch size");
  const PromptFormat format = prompt_format(model->config(), images);
  std::vector<Sequence> sequences;
  for (const auto& item : items) {
    ItemText text = item_text(ds, item);
    if (o.paraphrases) {
      if (text.paraphrased_answer.empty()) continue;
      text.answer = text.paraphrased_answer;
    }
    sequences.push_back(item_sequence(tok, text, format));
  }
  if (sequences.empty()) return {};
  const auto device = model->parameters().front().device();
  if (!has_adapters(model)) {
    torch::manual_seed(o.seed);
    model->attach_adapters(o.fresh);
  }
  std::vector<torch::Tensor> params = model->adapter_parameters();
  for (auto& p : params) p.mutable_grad() = torch::Tensor();  // whatever unlearning left
  // No weight decay: the attacker wants the forget answers back, nothing else.
  FusedAdamW optimizer(params, torch::optim::AdamWOptions(o.lr).weight_decay(0));

  model->train();
  std::vector<double> losses;
  std::vector<size_t> order;
  size_t next = 0;
  int64_t epoch = 0;
  for (int64_t step = 0; step < o.steps; ++step) {
    std::vector<Sequence> batch;
    for (int64_t k = 0; k < std::min<int64_t>(o.batch_size, int64_t(sequences.size())); ++k) {
      if (next == order.size()) {  // a new seeded pass over the items
        order = epoch_order(sequences.size(), o.seed, epoch++);
        next = 0;
      }
      batch.push_back(sequences[order[next++]]);
    }
    const ModelInputs in =
        to_model_inputs(collate(batch, padding_id(tok, model->config()), PadSide::right), images, device);
    torch::Tensor loss;
    {
      AutocastScope autocast(device);
      loss = cross_entropy(model, in);
    }
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    losses.push_back(loss.item<double>());
  }
  model->eval();
  return losses;
}

std::map<std::string, double> run_attacks(Vlm& model, const AttackSpec& spec, const AttackContext& c) {
  std::map<std::string, double> out;
  auto score = [&](const std::string& stage, const std::vector<ItemRef>& items) {
    const SetScores s = score_set(model, c.tokenizer, c.dataset, c.images, items, c.score);
    for (const auto& [metric, value] : forget_attack_metrics(s, c.truth_ratio))
      out[attack_column(stage, metric)] = value;
  };
  for (const auto& [name, scheme] :
       {std::pair{"quant8", QuantScheme::int8_per_channel}, std::pair{"quant4", QuantScheme::int4_groupwise}}) {
    if (!spec.has(name)) continue;
    QuantizedWeights quantized(model, scheme, spec.quant4_group_size);
    score(name, c.forget);
  }
  if (spec.has("relearn")) {
    const bool paraphrases = spec.relearn_on == "paraphrases";
    const RelearnSplit split =
        paraphrases ? RelearnSplit{c.forget, c.forget} : relearn_split(c.forget, spec.relearn_fraction);
    if (split.relearn.empty() || split.scored.empty()) return out;  // under 2 items: NaN
    score("relearn_before", split.scored);
    const bool had_adapters = has_adapters(model);
    const auto losses = relearn(
        model, c.tokenizer, c.dataset, c.images, split.relearn,
        RelearnOptions{spec.relearn_steps, spec.relearn_lr, spec.relearn_batch_size, c.seed, c.fresh, paraphrases});
    if (!losses.empty()) score("relearn", split.scored);  // no paraphrase anywhere: NaN
    if (!had_adapters) model->detach_adapters();
  }
  return out;
}

}  // namespace clear_sweep
