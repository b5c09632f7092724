// Supervised finetuning of the whole model (from-scratch presets) or of LoRA adapters:
// the base model on the full set, and a gold model per forget fraction on its retain
// split. AdamW, one epoch of linear warm-up then cosine decay, gradient clipping, bf16
// autocast on CUDA. Deterministic on CPU for a fixed seed.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <optional>
#include <vector>

#include "data/batch.h"
#include "data/dataset.h"
#include "data/dataset_io.h"
#include "data/image_processor.h"
#include "data/items.h"
#include "data/tokenizer.h"
#include "model/vlm.h"

namespace clear_sweep {

struct FinetuneOptions {
  int64_t epochs = 30;
  double lr = 3e-3;
  int64_t batch_size = 16;
  int64_t lora_rank = 0;  ///< 0: train every weight; > 0: LoRA adapters, merged at the end
  double lora_alpha = 0;  ///< 0: 2 x lora_rank
  double weight_decay = 0.01;
  double max_grad_norm = 1.0;
  double final_lr_fraction = 0.1;
  /// Stop early once an epoch's mean answer loss falls below this (0: run every epoch).
  double stop_loss = 0.0;
  uint64_t seed = 0;
  torch::Device device = torch::kCPU;
  /// A model folder's image processing (its family's, model_family.h), so finetuning
  /// sees the images evaluation will; unset: a preset's own (its family's for no folder).
  std::optional<ImageProcessor> image_processor;
};

struct EpochReport {
  int64_t epoch = 0;  ///< 1-based
  double mean_loss = 0;
  int64_t tokens = 0;  ///< every token processed (prompt, image and answer)
  double seconds = 0;
};

struct FinetuneReport {
  std::vector<EpochReport> epochs;
  int64_t steps = 0;
  double seconds = 0;
};

/// The items a stage trains on: about `persons`, both modalities with face recognition,
/// plus the real-knowledge sets (TOFU's real authors and world facts among them) and
/// MLLMU-Bench's celebrities (every model must know them).
/// A text-only model (`sees_images` false) trains on those asked without an image.
std::vector<ItemRef> finetune_items(const Dataset& dataset, const std::vector<int64_t>& persons,
                                    bool sees_images = true);

/// Error (key data.benchmark, naming the sweep `file`) where a text-only model is given a
/// benchmark that asks every question with an image (MLLMU-Bench); the stages and the
/// jobs check alike.
void check_model_reads(const ModelConfig& config, const Dataset& dataset, const std::string& file);

/// Trains `model` on `items`. `on_epoch` sees each epoch's report as it ends; `on_step`
/// each optimiser step (1-based, of all epochs) and the steps in all, for progress.
FinetuneReport finetune(Vlm& model, const Tokenizer& tokenizer, const Dataset& dataset, const ImageTable& images,
                        const std::vector<ItemRef>& items, const FinetuneOptions& options,
                        const std::function<void(const EpochReport&)>& on_epoch = {},
                        const std::function<void(int64_t step, int64_t steps)>& on_step = {});

}  // namespace clear_sweep
