#include "unlearn/unlearn_loop.h"

#include <chrono>
#include <cmath>
#include <sstream>

#include "common/clock.h"
#include "common/error.h"
#include "common/number_format.h"
#include "data/batch.h"
#include "data/rng.h"
#include "model/autocast.h"
#include "model/fused_adamw.h"
#include "model/lr_schedule.h"
#include "unlearn/losses.h"
#include "unlearn/oom_retry.h"
#include "unlearn/refusals.h"
#include "unlearn/training_state.h"

namespace clear_sweep {

UnlearnReport run_unlearning(Vlm& model, UnlearnMethod& method, const Job& job, const Tokenizer& tok, const Dataset& ds,
                             ImageTensors& images, const std::vector<ItemRef>& forget,
                             const std::vector<ItemRef>& retain, const std::function<void(const EpochEnd&)>& on_epoch,
                             const UnlearnContinuation& continuation, const std::vector<double>& forget_reference) {
  CS_ASSERT(!forget.empty() && !retain.empty(), "unlearning needs forget and retain items");
  if (method.wants_oracle_reference())
    CS_ASSERT(forget_reference.size() == forget.size(),
              method.name() + " needs the oracle's log-probs of every forget item");
  const auto start = std::chrono::steady_clock::now();
  const uint64_t seed = uint64_t(job.seed);
  const auto device = model->parameters().front().device();
  torch::manual_seed(seed);
  model->attach_adapters(LoraSpec{job.integer("lora_rank"), job.real("lora_alpha"), job.real("lora_dropout")});
  model->train();
  std::vector<torch::Tensor> params = model->adapter_parameters();
  FusedAdamW optimizer(params, torch::optim::AdamWOptions(job.real("lr")).weight_decay(job.real("weight_decay")));

  const PromptFormat format = prompt_format(model->config(), images);
  const int32_t pad = padding_id(tok, model->config());
  std::vector<ItemText> forget_texts, retain_texts;
  std::vector<Sequence> forget_seqs, retain_seqs;
  for (const auto& item : forget) {
    forget_texts.push_back(item_text(ds, item));
    forget_seqs.push_back(item_sequence(tok, forget_texts.back(), format));
  }
  for (const auto& item : retain) {
    retain_texts.push_back(item_text(ds, item));
    retain_seqs.push_back(item_sequence(tok, retain_texts.back(), format));
  }

  const int64_t batch_size = job.integer("batch_size"), accum = job.integer("grad_accum");
  const int64_t epochs = job.integer("epochs");
  const double l1_lambda = job.real("l1_lambda"), max_norm = job.real("max_grad_norm"), lr = job.real("lr");
  const int64_t batches_per_epoch = (int64_t(forget.size()) + batch_size - 1) / batch_size;
  // Methods may run more passes in some epochs than in others (SCRUB's max passes stop
  // after its max epochs), so the schedule counts every epoch's own passes.
  int64_t total_micro = 0;
  for (int64_t epoch = 0; epoch < epochs; ++epoch)
    total_micro += int64_t(method.epoch_steps(epoch).size()) * batches_per_epoch;
  const int64_t total_steps = std::max<int64_t>(1, (total_micro + accum - 1) / accum);
  const int64_t warmup_steps = int64_t(std::llround(
      job.real("warmup_epochs") * double(int64_t(method.epoch_steps(0).size()) * batches_per_epoch) / double(accum)));
  UnlearnReport report;
  auto optimizer_step = [&] {
    for (auto& group : optimizer.param_groups())
      group.options().set_lr(scheduled_lr(lr, report.steps, total_steps, warmup_steps, 1.0));
    torch::nn::utils::clip_grad_norm_(params, max_norm);
    optimizer.step();
    optimizer.zero_grad();
    ++report.steps;
  };

  int64_t micro = 0;
  optimizer.zero_grad();
  int64_t first_epoch = 0;
  if (!continuation.resume_path.empty()) {
    const TrainingState state = load_training_state(continuation.resume_path, params, optimizer, device);
    CS_ASSERT(state.epochs == continuation.resume_epochs, "the saved state trained another number of epochs");
    CS_ASSERT(state.epochs <= epochs, "the saved state trained more epochs than the job asks");
    first_epoch = state.epochs;
    method.restore_state(state.method_state);
    report.steps = state.steps;
    micro = state.micro;
    report.resumed_epochs = state.epochs;
  }
  for (int64_t epoch = first_epoch; epoch < epochs; ++epoch) {
    const auto order = epoch_order(forget.size(), seed, epoch);
    Rng pair_rng = Rng::stream(seed, "retain_pairs", uint64_t(epoch));
    const auto pairs = pair_with_retain(forget.size(), retain.size(), pair_rng);
    Rng alt_rng = Rng::stream(seed, "alt_answers", uint64_t(epoch));
    double loss_sum = 0;
    int64_t loss_count = 0;
    for (StepKind kind : method.epoch_steps(epoch)) {
      for (size_t first = 0; first < order.size(); first += size_t(batch_size)) {
        std::vector<Sequence> f, r, alt;
        std::vector<float> reference;  // the oracle's, in batch order
        for (size_t k = first; k < std::min(order.size(), first + size_t(batch_size)); ++k) {
          const size_t i = order[k];
          f.push_back(forget_seqs[i]);
          if (method.wants_oracle_reference()) reference.push_back(float(forget_reference[i]));
          r.push_back(retain_seqs[pairs[i]]);
          if (method.alt_answers() != AltAnswers::none) {
            const std::string answer = method.alt_answers() == AltAnswers::refusals
                                           ? alt_rng.pick(refusal_answers())
                                           : retain_texts[alt_rng.below(retain_texts.size())].answer;
            alt.push_back(
                make_sequence(tok, template_prompt(forget_texts[i], format), answer, forget_texts[i].image, format));
          }
        }
        MethodBatch batch;
        batch.forget = to_model_inputs(collate(f, pad, PadSide::right), images, device);
        batch.retain = to_model_inputs(collate(r, pad, PadSide::right), images, device);
        if (!alt.empty()) batch.forget_alt = to_model_inputs(collate(alt, pad, PadSide::right), images, device);
        if (!reference.empty()) batch.forget_reference = torch::tensor(reference).to(device);
        for (const auto* in : {&batch.forget, &batch.retain, &batch.forget_alt})
          if (in->attention_mask.defined()) report.tokens += in->attention_mask.sum().item<int64_t>();

        // CLEAR_SWEEP_INJECT_OOM=train:N (tests on the CPU): where a GPU would run out.
        oom_inject("a training micro-batch", int64_t(f.size()), oom_injection().train_rows);
        torch::Tensor loss;
        {
          AutocastScope autocast(device);  // bf16 forward on GPU; backward follows its casts
          loss = method.loss(model, batch, kind);
        }
        if (l1_lambda > 0) loss = loss + l1_lambda * l1_norm(params);
        const double value = loss.item<double>();
        if (!std::isfinite(value)) {
          std::ostringstream why;
          why << job.method << " diverged: the loss is " << value << " at epoch " << epoch + 1 << ", step "
              << report.steps + 1 << " (lr " << format_number(lr) << ")";
          throw std::runtime_error(why.str() + "; lower lr or max_grad_norm");
        }
        (loss / double(accum)).backward();
        loss_sum += value;
        ++loss_count;
        if (++micro % accum == 0) optimizer_step();
      }
    }
    report.epoch_loss.push_back(loss_sum / double(std::max<int64_t>(1, loss_count)));
    if (on_epoch) {
      model->eval();
      on_epoch(EpochEnd{epoch + 1, report.epoch_loss.back()});
      model->train();
    }
  }
  // Saved before the last partial accumulation is stepped: a trial that goes on
  // accumulates into it, as one that had trained the longer run at once would have.
  if (!continuation.save_path.empty())
    save_training_state(continuation.save_path, TrainingState{epochs, report.steps, micro, method.state()}, params,
                        optimizer);
  if (micro % accum != 0) optimizer_step();  // the last, partial accumulation still counts
  model->eval();
  report.seconds = seconds_since(start);
  return report;
}

std::vector<double> forget_logprobs(Vlm& model, const Tokenizer& tok, const Dataset& ds, ImageTensors& images,
                                    const std::vector<ItemRef>& items, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  const auto device = model->parameters().front().device();
  const PromptFormat format = prompt_format(model->config(), images);
  model->eval();
  std::vector<double> out;
  for (size_t first = 0; first < items.size(); first += size_t(batch_size)) {
    std::vector<Sequence> batch;
    for (size_t i = first; i < std::min(items.size(), first + size_t(batch_size)); ++i)
      batch.push_back(item_sequence(tok, item_text(ds, items[i]), format));
    const ModelInputs in =
        to_model_inputs(collate(batch, padding_id(tok, model->config()), PadSide::right), images, device);
    torch::Tensor logp;  // [B]
    {
      AutocastScope autocast(device);  // as the training steps compute theirs
      logp = sequence_logprob(model, in);
    }
    logp = logp.to(torch::kCPU).to(torch::kDouble);
    for (int64_t r = 0; r < logp.size(0); ++r) out.push_back(logp[r].item<double>());
  }
  return out;
}

}  // namespace clear_sweep
