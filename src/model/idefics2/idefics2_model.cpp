#include "model/idefics2/idefics2_model.h"

#include <vector>

#include "common/error.h"
#include "model/image_placeholders.h"

namespace clear_sweep {

Idefics2BaseImpl::Idefics2BaseImpl(const ModelConfig& config) {
  // This order is the parameters' order: their initialisation and the checkpoint's.
  vision_model = register_module("vision_model", Idefics2VisionTransformer(config.vision));
  connector = register_module("connector", Idefics2Connector(config.vision, config.text));
  text_model = register_module("text_model", LlamaModel(config.text));
}

Idefics2Impl::Idefics2Impl(const ModelConfig& config) : VlmImpl(config) {
  config.validate("model config");
  CS_ASSERT(config.vision.resampler.latents > 0, "an Idefics2 model without its resampler's latents");
  model = register_module("model", Idefics2Base(config));
  if (!config.text.tie_embeddings)
    lm_head = register_module("lm_head", LoraLinear(config.text.hidden, config.text.vocab_size, false));
}

torch::Tensor Idefics2Impl::embed(const ModelInputs& in) {
  const bool has_images = in.images.defined() && in.images.size(0) > 0;
  return embed_with_images(model->text_model->embed_tokens, in.input_ids, config().image_token_id, has_images, [&] {
    CS_ASSERT(in.image_grids.defined(), "Idefics2 crops without their patch grids");
    const torch::Tensor rows = in.image_grids.to(torch::kCPU, torch::kLong).contiguous();  // [C, 3]
    CS_ASSERT(rows.dim() == 2 && rows.size(1) == 3, "image_grids must be [crops, 3]");
    std::vector<PatchGrid2d> grids;
    const int64_t* p = rows.data_ptr<int64_t>();
    for (int64_t i = 0; i < rows.size(0); ++i) grids.push_back({p[3 * i + 1], p[3 * i + 2]});
    const torch::Tensor features = model->connector(model->vision_model(in.images, grids));  // [C, L, D]
    return features.reshape({-1, features.size(-1)});  // crop after crop, latent after latent
  });
}

torch::Tensor Idefics2Impl::hidden(const ModelInputs& in, const ForwardOptions& options) {
  return model->text_model->forward(embed(in), in.position_ids, in.attention_mask, options.cache,
                                    options.hidden_states);
}

torch::Tensor Idefics2Impl::logits(const torch::Tensor& hidden) {
  return lm_head ? lm_head(hidden)
                 : torch::nn::functional::linear(hidden, model->text_model->embed_tokens->weight);  // [..., V]
}

bool Idefics2Impl::default_lora_target(const std::string& name) const {
  return name.rfind("model.text_model.layers.", 0) == 0;
}

}  // namespace clear_sweep
