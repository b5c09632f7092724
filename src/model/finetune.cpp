#include "model/finetune.h"

#include <chrono>

#include "common/clock.h"
#include "common/error.h"
#include "model/autocast.h"
#include "model/fused_adamw.h"
#include "model/lr_schedule.h"
#include "model/model_inputs.h"
#include "model/scoring.h"

namespace clear_sweep {

std::vector<ItemRef> finetune_items(const Dataset& dataset, const std::vector<int64_t>& persons, bool sees_images) {
  std::vector<ItemRef> items = person_items(dataset, persons, Modality::both, true);
  // MLLMU-Bench's celebrities stand for what the base model knew before: every model
  // learns them, as every model learns CLEAR's real faces.
  for (const auto& item : person_items(dataset, dataset.splits.celebrity, Modality::both)) items.push_back(item);
  for (const auto& item : real_face_items(dataset)) items.push_back(item);
  for (const auto& item : real_world_items(dataset)) items.push_back(item);
  for (const auto& item : real_author_items(dataset)) items.push_back(item);
  return sees_images ? items : text_only_items(dataset, items);
}

void check_model_reads(const ModelConfig& config, const Dataset& dataset, const std::string& file) {
  if (config.has_vision || !dataset.is_mllmu()) return;
  throw Error(SourceLocation{file}, "data.benchmark", "\"mllmu\" with the text-only " + config.family + " model",
              "MLLMU-Bench asks its questions with images; a text-only model runs benchmark = \"clear\" or \"tofu\"");
}

FinetuneReport finetune(Vlm& model, const Tokenizer& tokenizer, const Dataset& dataset, const ImageTable& images,
                        const std::vector<ItemRef>& items, const FinetuneOptions& o,
                        const std::function<void(const EpochReport&)>& on_epoch,
                        const std::function<void(int64_t step, int64_t steps)>& on_step) {
  CS_ASSERT(!items.empty(), "finetune on no items");
  const auto start = std::chrono::steady_clock::now();
  torch::manual_seed(o.seed);
  model->to(o.device);
  model->train();

  std::vector<torch::Tensor> params;
  if (o.lora_rank > 0) {
    model->attach_adapters(LoraSpec{o.lora_rank, o.lora_alpha > 0 ? o.lora_alpha : 2.0 * double(o.lora_rank), 0.0});
    params = model->adapter_parameters();
  } else {
    model->set_base_trainable(true);
    params = model->parameters();
  }
  FusedAdamW optimizer(params, torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));

  // Tokenise once; batches index into this.
  // A preset's model has no folder: its family's own processing (a text-only model
  // reads no image, so its processor is never used).
  const ModelConfig& config = model->config();
  ImageTensors image_tensors(images,
                             o.image_processor   ? *o.image_processor
                             : config.has_vision ? model_family(config.family).image_processor("", config)
                                                 : ImageProcessor::stretch(1),
                             o.device);
  const PromptFormat format = prompt_format(config, image_tensors);
  std::vector<Sequence> sequences;
  sequences.reserve(items.size());
  for (const auto& item : items) sequences.push_back(item_sequence(tokenizer, item_text(dataset, item), format));

  const int64_t steps_per_epoch = (int64_t(items.size()) + o.batch_size - 1) / o.batch_size;
  const int64_t total_steps = steps_per_epoch * o.epochs;
  FinetuneReport report;
  for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    const auto epoch_start = std::chrono::steady_clock::now();
    const auto order = epoch_order(items.size(), o.seed, epoch);
    double loss_sum = 0;
    double answer_tokens = 0;
    EpochReport er;
    er.epoch = epoch + 1;
    for (size_t first = 0; first < order.size(); first += size_t(o.batch_size)) {
      std::vector<Sequence> batch;
      for (size_t i = first; i < std::min(order.size(), first + size_t(o.batch_size)); ++i)
        batch.push_back(sequences[order[i]]);
      const TokenBatch tokens = collate(batch, padding_id(tokenizer, model->config()), PadSide::right);
      const ModelInputs inputs = to_model_inputs(tokens, image_tensors, o.device);
      for (auto& group : optimizer.param_groups())
        group.options().set_lr(scheduled_lr(o.lr, report.steps, total_steps, steps_per_epoch, o.final_lr_fraction));
      torch::Tensor loss;
      AnswerScores scores;
      {
        AutocastScope autocast(o.device);
        scores = score_answers(model, inputs);
        loss = scores.sum_nll.sum() / scores.tokens.sum().clamp_min(1);
      }
      optimizer.zero_grad();
      loss.backward();
      if (!torch::isfinite(loss).item<bool>())
        throw std::runtime_error("finetune: the loss became " + std::to_string(loss.item<double>()) + " at epoch " +
                                 std::to_string(epoch + 1) + "; lower [finetune] lr");
      torch::nn::utils::clip_grad_norm_(params, o.max_grad_norm);
      optimizer.step();
      const double n = scores.tokens.sum().item<double>();
      loss_sum += loss.item<double>() * n;
      answer_tokens += n;
      er.tokens += tokens.rows * tokens.length;
      ++report.steps;
      if (on_step) on_step(report.steps, total_steps);
    }
    er.mean_loss = loss_sum / std::max(1.0, answer_tokens);
    er.seconds = seconds_since(epoch_start);
    report.epochs.push_back(er);
    if (on_epoch) on_epoch(er);
    if (er.mean_loss < o.stop_loss) break;
  }
  if (o.lora_rank > 0) model->fold_adapters();  // the checkpoint is a plain model
  model->set_base_trainable(false);
  model->eval();
  report.seconds = seconds_since(start);
  return report;
}

}  // namespace clear_sweep
