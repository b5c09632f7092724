#include "model/qwen2_vl/qwen2_vl_model.h"

#include <string>
#include <vector>

#include "common/error.h"
#include "model/image_placeholders.h"

namespace clear_sweep {

namespace {

/// image_grids [N, 3] as grids (on the host: the positions and windows are built there).
std::vector<ImageGrid> grids_of(const torch::Tensor& image_grids) {
  std::vector<ImageGrid> grids;
  if (!image_grids.defined()) return grids;
  const torch::Tensor g = image_grids.to(torch::kCPU, torch::kLong).contiguous();
  CS_ASSERT(g.dim() == 2 && g.size(1) == 3, "image_grid_thw must be [images, 3]");
  const int64_t* p = g.data_ptr<int64_t>();
  for (int64_t i = 0; i < g.size(0); ++i) grids.push_back({p[3 * i], p[3 * i + 1], p[3 * i + 2]});
  return grids;
}

}  // namespace

Qwen2VlBaseImpl::Qwen2VlBaseImpl(const ModelConfig& config) {
  // This order is the parameters' order: their initialisation and the checkpoint's.
  visual = register_module("visual", QwenVision(config.vision, config.text.hidden));
  language_model = register_module("language_model", LlamaModel(config.text));
}

Qwen2VlImpl::Qwen2VlImpl(const ModelConfig& config) : VlmImpl(config) {
  config.validate("model config");
  CS_ASSERT(!config.text.mrope_section.empty(), "a Qwen2-VL decoder without mrope_section");
  model = register_module("model", Qwen2VlBase(config));
  if (!config.text.tie_embeddings)
    lm_head = register_module("lm_head", LoraLinear(config.text.hidden, config.text.vocab_size, false));
}

torch::Tensor Qwen2VlImpl::embed(const ModelInputs& in) {
  const bool has_images = in.images.defined() && in.images.size(0) > 0;
  return embed_with_images(model->language_model->embed_tokens, in.input_ids, config().image_token_id, has_images,
                           [&] { return model->visual(in.images, grids_of(in.image_grids)); });  // image after image
}

std::pair<torch::Tensor, torch::Tensor> Qwen2VlImpl::positions(const ModelInputs& in) const {
  const int64_t rows = in.input_ids.size(0), length = in.input_ids.size(1);
  const torch::Tensor ids = in.input_ids.to(torch::kCPU, torch::kInt).contiguous();
  const torch::Tensor mask = in.attention_mask.to(torch::kCPU, torch::kByte).contiguous();
  const std::vector<ImageGrid> grids = grids_of(in.image_grids);
  const int64_t merge = config().vision.spatial_merge;
  std::vector<int64_t> flat(size_t(3 * rows * length)), deltas;
  size_t next_image = 0;
  for (int64_t b = 0; b < rows; ++b) {
    const int32_t* row_ids = ids[b].data_ptr<int32_t>();
    const uint8_t* row_mask = mask[b].data_ptr<uint8_t>();
    const std::vector<int32_t> row(row_ids, row_ids + length);
    const std::vector<uint8_t> real(row_mask, row_mask + length);
    // The row's images: as many of the next grids as its placeholders take.
    int64_t placeholders = 0;
    for (int64_t i = 0; i < length; ++i) placeholders += real[size_t(i)] && row[size_t(i)] == config().image_token_id;
    std::vector<ImageGrid> mine;
    for (int64_t taken = 0; taken < placeholders && next_image < grids.size(); ++next_image) {
      const ImageGrid& g = grids[next_image];
      taken += g.t * (g.h / merge) * (g.w / merge);
      mine.push_back(g);
    }
    const MropePositions p = mrope_positions(row, real, config().image_token_id, mine, merge);
    for (int64_t axis = 0; axis < 3; ++axis)
      std::copy(p.rows[size_t(axis)].begin(), p.rows[size_t(axis)].end(), flat.begin() + (axis * rows + b) * length);
    deltas.push_back(p.delta);
  }
  CS_ASSERT(next_image == grids.size(), "more images than the rows' placeholders take");
  const auto device = in.input_ids.device();
  return {torch::tensor(flat, torch::kLong).view({3, rows, length}).to(device),
          torch::tensor(deltas, torch::kLong).view({rows, 1}).to(device)};
}

torch::Tensor Qwen2VlImpl::hidden(const ModelInputs& in, const ForwardOptions& options) {
  const torch::Tensor embeds = embed(in);
  torch::Tensor positions;  // [3, B, T]
  KvCache* cache = options.cache;
  if (cache && cache->length() > 0) {
    // Tokens after the prompt: their plain position plus the row's rope delta, on all
    // three rows (generation feeds text only).
    CS_ASSERT(!in.images.defined(), "images after the prompt: their M-RoPE positions would need the whole sequence");
    torch::Tensor plain = in.position_ids;  // [B, T]
    if (cache->position_offset.defined()) plain = plain + cache->position_offset;
    positions = plain.unsqueeze(0).expand({3, plain.size(0), plain.size(1)});
  } else {
    auto [rows, deltas] = this->positions(in);
    positions = rows;
    if (cache) cache->position_offset = deltas;
  }
  return model->language_model->forward(embeds, positions, in.attention_mask, cache, options.hidden_states);
}

torch::Tensor Qwen2VlImpl::logits(const torch::Tensor& hidden) {
  return lm_head ? lm_head(hidden)
                 : torch::nn::functional::linear(hidden, model->language_model->embed_tokens->weight);  // [..., V]
}

bool Qwen2VlImpl::default_lora_target(const std::string& name) const {
  return name.rfind("model.language_model.layers.", 0) == 0;
}

}  // namespace clear_sweep
