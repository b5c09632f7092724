// A model's shape, as every model family fills it from its config.json (model/<family>/
// <family>_config.cpp, with transformers' defaults) and the rest of the program reads
// it: a vision encoder, a decoder, the image placeholder and padding ids, and which
// family builds it (model_family.h). Presets and config.json reading and writing are
// the families' (model_family.h: model_preset, model_config_parse, model_config_json).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/prompt_template.h"

namespace clear_sweep {

class ChatTemplate;

struct VisionConfig {
  int64_t image_size = 32;
  int64_t patch_size = 8;
  int64_t hidden = 64;
  int64_t layers = 2;
  int64_t heads = 4;
  int64_t intermediate = 128;
  double layer_norm_eps = 1e-5;
  /// Which layer's output feeds the projector (LLaVA: -2, the penultimate); the class
  /// token is dropped, as LLaVA's "patch" feature selection does.
  int64_t select_layer = -2;
  /// vision_feature_select_strategy "full": the class token's feature goes to the
  /// decoder too ("default" drops it).
  bool keep_class_token = false;
  // Qwen2-VL's and Qwen2.5-VL's encoder (family qwen2_vl); LLaVA's CLIP has none of them.
  // There image_size is only our presets' square image: a real folder's images keep their
  // aspect and take as many tokens as their size gives (ImageProcessor::image_tokens).
  int64_t temporal_patch = 1;                  ///< frames per patch (Qwen2-VL: 2, an image repeated)
  int64_t spatial_merge = 1;                   ///< the merger's m x m patches per decoder token (Qwen2-VL: 2)
  std::string hidden_act = "quick_gelu";       ///< the MLP's activation (CLIP's; SigLIP's gelu_pytorch_tanh)
  bool gated_mlp = false;                      ///< Qwen2.5-VL: RMSNorm and SwiGLU blocks (Qwen2-VL: LayerNorm, fc1/fc2)
  int64_t window_size = 0;                     ///< Qwen2.5-VL: window attention over this many pixels; 0: none
  std::vector<int64_t> full_attention_blocks;  ///< Qwen2.5-VL: the blocks that attend over the whole image
  double rope_theta = 10000.0;                 ///< the encoder's 2-D rotary embedding (qwen2_vl)
  /// LLaVA-NeXT's image_grid_pinpoints, (height, width) each: an image is tiled at the one
  /// that fits it best (AnyRes). Empty: every image is one image_size square.
  std::vector<std::array<int64_t, 2>> anyres_pinpoints;
  // Idefics2's encoder (family idefics2) is SigLIP's at native aspect ratio, its patches'
  // positions bucketed onto an image_size square's; a perceiver resampler then turns each
  // image (each crop, with image splitting) into `resampler.latents` decoder tokens.
  struct Resampler {
    int64_t latents = 0;  ///< resampler_n_latents; 0: no resampler (every other family)
    int64_t depth = 0, heads = 0, head_dim = 0, kv_heads = 0;
    double rms_norm_eps = 1e-6;
  };
  Resampler resampler;
  /// Idefics2's presets: each image as its four quarters and itself (5 crops); a real
  /// folder's processor says (do_image_splitting).
  bool image_splitting = false;

  int64_t patches() const { return (image_size / patch_size) * (image_size / patch_size); }
  /// Features per image that reach the decoder (of an image_size square).
  int64_t features() const {
    if (resampler.latents > 0) return resampler.latents * (image_splitting ? 5 : 1);
    return patches() / (spatial_merge * spatial_merge) + (keep_class_token ? 1 : 0);
  }
};

/// Rotary scaling as transformers' rope_parameters name it: "default" (none), "linear"
/// (positions divided by factor) or "llama3" (Llama 3.1's per-frequency rule).
struct RopeScaling {
  std::string type = "default";
  double factor = 1.0;
  double low_freq_factor = 1.0;        ///< llama3
  double high_freq_factor = 4.0;       ///< llama3
  int64_t original_max_positions = 0;  ///< llama3; 0: max_positions
};

struct TextConfig {
  int64_t vocab_size = 1024;
  int64_t hidden = 128;
  int64_t layers = 4;
  int64_t heads = 4;
  int64_t kv_heads = 2;  ///< grouped-query attention: heads share kv_heads key/value heads
  int64_t intermediate = 344;
  int64_t max_positions = 512;
  double rope_theta = 10000.0;
  double rms_norm_eps = 1e-5;
  bool tie_embeddings = false;
  // Later families' settings; LLaVA-1.5's decoder (Llama-2) has none of them.
  int64_t explicit_head_dim = 0;     ///< config.json's head_dim where it is not hidden / heads; 0: not given
  bool qkv_bias = false;             ///< q, k, v projections with biases (Qwen2; Llama's attention_bias)
  bool o_bias = false;               ///< the output projection with a bias (Llama's attention_bias)
  bool mlp_bias = false;             ///< gate, up and down with biases (Llama's mlp_bias)
  int64_t sliding_window = 0;        ///< keys within this many slots of the query only (Mistral); 0: all
  std::string model_type = "llama";  ///< a VLM's text_config model_type where it reads several (LLaVA-NeXT)
  RopeScaling rope_scaling;
  /// Qwen2-VL's multimodal rotary sections (rope_parameters.mrope_section): the first
  /// section's frequencies turn with the temporal position, the next with the height, the
  /// last with the width. Empty: one position per token (every other family).
  std::vector<int64_t> mrope_section;

  int64_t head_dim() const { return explicit_head_dim > 0 ? explicit_head_dim : hidden / heads; }
};

/// A decoder's shape in config.json's order: vocab_size, hidden_size, intermediate_size,
/// num_hidden_layers, num_attention_heads, num_key_value_heads, max_position_embeddings,
/// rope_theta, rms_norm_eps, tie_word_embeddings (the rest at TextConfig's defaults).
TextConfig decoder_shape(int64_t vocab, int64_t hidden, int64_t intermediate, int64_t layers, int64_t heads,
                         int64_t kv_heads, int64_t max_positions, double rope_theta, double rms_norm_eps, bool tied);

struct ModelConfig {
  std::string family = "llava";                ///< the model family that builds it (model_family.h)
  std::string model_type;                      ///< config.json's, where a family reads several (qwen2_vl, qwen2_5_vl)
  bool has_vision = true;                      ///< false: a text-only language model (no vision, no image tokens)
  std::string preset;                          ///< the preset it came from, or "custom"
  std::string prompt_template = kPlainPrompt;  ///< data/prompt_template.h
  /// prompt_template "chat": the folder's template (load_model reads it), the system turn
  /// before each question (empty: none) and the template's date_string (empty: not given).
  std::shared_ptr<const ChatTemplate> chat_template;
  std::string system_prompt;
  std::string date_string;
  /// A folder from elsewhere that names no prompt (a Qwen2-VL from the hub): "chat" where
  /// it has a chat template, else plain (load_vlm decides).
  bool chat_if_template = false;
  VisionConfig vision;
  TextConfig text;
  int32_t image_token_id = 3;  ///< the tokenizer's <image>
  int32_t pad_token_id = 0;

  /// Image placeholder tokens per image: one per feature (patch, and the class token
  /// under "full").
  int64_t image_tokens() const { return vision.features(); }
  /// Parameters of the whole model (vision, projector, decoder).
  int64_t parameter_count() const;
  /// Throws Error naming the key for inconsistent shapes (heads not dividing hidden ...).
  void validate(const std::string& source) const;
};

}  // namespace clear_sweep
