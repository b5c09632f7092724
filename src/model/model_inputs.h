// From the data layer's batches to tensors on a device: token ids, masks, positions,
// labels, and the rows' images normalised to the vision tower's input size.
#pragma once

#include <torch/torch.h>

#include <string>
#include <unordered_map>

#include "data/batch.h"
#include "data/dataset_io.h"
#include "data/image_processor.h"
#include "model/vlm.h"

namespace clear_sweep {

/// Normalised image tensors [3, S, S] by path, made once per image and reused.
class ImageTensors {
 public:
  /// Through the model folder's processor (load_image_processor).
  ImageTensors(const ImageTable& images, ImageProcessor processor, torch::Device device);
  /// The presets' stretch to size x size.
  ImageTensors(const ImageTable& images, int64_t size, torch::Device device);
  const torch::Tensor& get(const std::string& path);

 private:
  const ImageTable& images_;
  ImageProcessor processor_;
  torch::Device device_;
  std::unordered_map<std::string, torch::Tensor> cache_;
};

ModelInputs to_model_inputs(const TokenBatch& batch, ImageTensors& images, torch::Device device);

/// How the model reads items: its config's prompt template, placeholders per image and
/// the placeholder id.
PromptFormat prompt_format(const ModelConfig& config);

/// The id padding positions hold (masked out, never a label), one the model's embedding
/// has: config.json's pad_token_id, else the tokenizer's padding token, else its EOS (as
/// Llama-3 folders, which have none, are padded), else 0. A SentencePiece tokenizer's
/// appended <pad> is past a text model's vocabulary and is not used.
int32_t padding_id(const Tokenizer& tokenizer, const ModelConfig& config);

}  // namespace clear_sweep
