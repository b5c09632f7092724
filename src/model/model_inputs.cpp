#include "model/model_inputs.h"

#include "common/error.h"

namespace clear_sweep {

ImageTensors::ImageTensors(const ImageTable& images, ImageProcessor processor, torch::Device device)
    : images_(images), processor_(std::move(processor)), device_(device) {}

ImageTensors::ImageTensors(const ImageTable& images, int64_t size, torch::Device device)
    : ImageTensors(images, ImageProcessor::stretch(int(size)), device) {}

const torch::Tensor& ImageTensors::get(const std::string& path) {
  auto it = cache_.find(path);
  if (it != cache_.end()) return it->second;
  const auto found = images_.find(path);
  CS_ASSERT(found != images_.end(), "image '" + path + "' was not loaded");
  std::vector<float> pixels = processor_(found->second);  // [3, H, W]
  torch::Tensor t = torch::from_blob(pixels.data(), {3, processor_.crop_height, processor_.crop_width}, torch::kFloat)
                        .clone()
                        .to(device_);
  return cache_.emplace(path, std::move(t)).first->second;
}

ModelInputs to_model_inputs(const TokenBatch& b, ImageTensors& images, torch::Device device) {
  auto ints = [&](const std::vector<int32_t>& v) {
    return torch::from_blob(const_cast<int32_t*>(v.data()), {b.rows, b.length}, torch::kInt)
        .to(torch::kLong)
        .to(device);
  };
  ModelInputs in;
  in.input_ids = ints(b.input_ids);
  in.labels = ints(b.labels);
  in.position_ids = ints(b.position_ids);
  in.attention_mask = torch::from_blob(const_cast<uint8_t*>(b.attention_mask.data()), {b.rows, b.length}, torch::kUInt8)
                          .to(torch::kBool)
                          .to(device);
  std::vector<torch::Tensor> rows;
  for (const auto& path : b.images)
    if (!path.empty()) rows.push_back(images.get(path));
  if (!rows.empty()) in.images = torch::stack(rows);
  return in;
}

int32_t padding_id(const Tokenizer& tokenizer, const ModelConfig& config) {
  const auto fits = [&](int32_t id) { return id >= 0 && id < config.text.vocab_size; };
  for (int32_t id : {config.pad_token_id, tokenizer.special().pad, tokenizer.special().eos})
    if (fits(id)) return id;
  return 0;
}

PromptFormat prompt_format(const ModelConfig& config) {
  PromptFormat format(config.prompt_template, int(config.image_tokens()), config.image_token_id);
  format.chat_template = config.chat_template;
  format.system_prompt = config.system_prompt;
  format.date_string = config.date_string;
  return format;
}

}  // namespace clear_sweep
