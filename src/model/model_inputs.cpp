#include "model/model_inputs.h"

#include "common/error.h"

namespace clear_sweep {

ImageTensors::ImageTensors(const ImageTable& images, ImageProcessor processor, torch::Device device)
    : images_(images), processor_(std::move(processor)), device_(device) {}

ImageTensors::ImageTensors(const ImageTable& images, int64_t size, torch::Device device)
    : ImageTensors(images, ImageProcessor::stretch(int(size)), device) {}

const Image& ImageTensors::image(const std::string& path) const {
  const auto found = images_.find(path);
  CS_ASSERT(found != images_.end(), "image '" + path + "' was not loaded");
  return found->second;
}

namespace {

/// What the processor says of one image, its errors (a size it cannot resize) naming the image.
template <typename F>
auto of_image(const std::string& path, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    throw Error(SourceLocation{path}, e.key(), e.message(), e.hint());
  }
}

}  // namespace

const torch::Tensor& ImageTensors::get(const std::string& path) {
  auto it = cache_.find(path);
  if (it != cache_.end()) return it->second;
  const Image& picture = image(path);
  std::vector<float> values = of_image(path, [&] { return processor_(picture); });  // [3, H, W], or [patches, dim]
  // Images sized by themselves stay in host memory (Qwen2-VL's patches repeat each frame,
  // LLaVA-NeXT's tiles are up to 5 views): a batch's go to the device in to_model_inputs.
  torch::Tensor t = torch::from_blob(values.data(), processor_.output_shape(picture), torch::kFloat)
                        .clone()
                        .to(sized_by_image() ? torch::Device(torch::kCPU) : device_);
  return cache_.emplace(path, std::move(t)).first->second;
}

int64_t ImageTensors::image_tokens(const std::string& path) const {
  const Image& picture = image(path);
  return of_image(path, [&] { return processor_.image_tokens(picture.height, picture.width); });
}

std::vector<std::array<int64_t, 3>> ImageTensors::layout(const std::string& path) const {
  const Image& picture = image(path);
  return of_image(path, [&] { return processor_.layout_rows(picture.height, picture.width); });
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
  std::vector<int64_t> grids;
  for (const auto& path : b.images) {
    if (path.empty()) continue;
    rows.push_back(images.get(path));
    if (images.sized_by_image()) {
      for (const auto& row : images.layout(path)) grids.insert(grids.end(), row.begin(), row.end());
    }
  }
  if (rows.empty()) return in;
  if (images.sized_by_image()) {
    in.images = torch::cat(rows).to(device);  // [patches of every image, dim], or [tiles of every image, 3, S, S]
    // (Idefics2: [patches of every crop, 3 * p * p])
    in.image_grids = torch::tensor(grids, torch::kLong).view({-1, 3});  // on the host: the model reads it there
  } else {
    in.images = torch::stack(rows);  // [N, 3, S, S]
  }
  return in;
}

int32_t padding_id(const Tokenizer& tokenizer, const ModelConfig& config) {
  const auto fits = [&](int32_t id) { return id >= 0 && id < config.text.vocab_size; };
  for (int32_t id : {config.pad_token_id, tokenizer.special().pad, tokenizer.special().eos})
    if (fits(id)) return id;
  return 0;
}

PromptFormat prompt_format(const ModelConfig& config, const ImageTensors& images) {
  PromptFormat format(config.prompt_template, config.has_vision ? int(config.image_tokens()) : 0,
                      config.image_token_id);
  if (images.sized_by_image())
    format.image_tokens_of = [&images](const std::string& path) { return int(images.image_tokens(path)); };
  const ImageProcessor& processor = images.processor();
  if (processor.kind == ImageProcessor::Kind::idefics2) {
    // Idefics2Processor's prompt: each image's crops as runs of <image> between
    // <fake_token_around_image>s (its tokenizer's added tokens).
    format.image_marker = "<image>";
    format.image_boundary = "<fake_token_around_image>";
    std::string run;
    for (int i = 0; i < processor.image_seq_len; ++i) run += format.image_marker;
    format.image_text = format.image_boundary;
    for (int crop = 0; crop < processor.crops_per_image(); ++crop) format.image_text += run + format.image_boundary;
  }
  format.chat_template = config.chat_template;
  format.system_prompt = config.system_prompt;
  format.date_string = config.date_string;
  return format;
}

}  // namespace clear_sweep
