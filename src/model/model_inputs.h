// From the data layer's batches to tensors on a device: token ids, masks, positions,
// labels, and the rows' images normalised to the vision tower's input size.
#pragma once

#include <torch/torch.h>

#include <array>
#include <string>
#include <unordered_map>
#include <vector>

#include "data/batch.h"
#include "data/dataset_io.h"
#include "data/image_processor.h"
#include "model/vlm.h"

namespace clear_sweep {

/// The model's image inputs by path, made once per image and reused: normalised pixels
/// [3, S, S]; (Qwen2-VL) the image's flattened patches [patches, dim] and its grid;
/// (LLaVA-NeXT) its tiles [tiles, 3, S, S] and its tile count and size; (Idefics2) its
/// crops' full patches [patches, 3 * p * p] and each crop's patch grid.
class ImageTensors {
 public:
  /// Through the model folder's processor (load_image_processor).
  ImageTensors(const ImageTable& images, ImageProcessor processor, torch::Device device);
  /// The presets' stretch to size x size.
  ImageTensors(const ImageTable& images, int64_t size, torch::Device device);
  const torch::Tensor& get(const std::string& path);
  /// Whether each image's input has a size of its own (Qwen2-VL, LLaVA-NeXT, Idefics2),
  /// and with it as many placeholders as the processor gives, rather than the model's one
  /// count (Idefics2's count is fixed, its crops' patches are not).
  bool sized_by_image() const {
    return processor_.kind == ImageProcessor::Kind::qwen2_vl || processor_.kind == ImageProcessor::Kind::llava_next ||
           processor_.kind == ImageProcessor::Kind::idefics2;
  }
  /// sized_by_image: the image's placeholder tokens, and its rows of the model's
  /// ModelInputs::image_grids (Qwen2-VL's patch grid, LLaVA-NeXT's tiles and size: one
  /// row; Idefics2: one per crop, its grid of full patches).
  int64_t image_tokens(const std::string& path) const;
  std::vector<std::array<int64_t, 3>> layout(const std::string& path) const;
  const ImageProcessor& processor() const { return processor_; }

 private:
  const Image& image(const std::string& path) const;

  const ImageTable& images_;
  ImageProcessor processor_;
  torch::Device device_;
  std::unordered_map<std::string, torch::Tensor> cache_;
};

ModelInputs to_model_inputs(const TokenBatch& batch, ImageTensors& images, torch::Device device);

/// How the model reads items: its config's prompt template, placeholders per image (the
/// config's count, or each image's own where `images` sizes them) and the placeholder id.
/// The format refers to `images`, which must outlive it.
PromptFormat prompt_format(const ModelConfig& config, const ImageTensors& images);

/// The id padding positions hold (masked out, never a label), one the model's embedding
/// has: config.json's pad_token_id, else the tokenizer's padding token, else its EOS (as
/// Llama-3 folders, which have none, are padded), else 0. A SentencePiece tokenizer's
/// appended <pad> is past a text model's vocabulary and is not used.
int32_t padding_id(const Tokenizer& tokenizer, const ModelConfig& config);

}  // namespace clear_sweep
