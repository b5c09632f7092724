// Qwen2-VL and Qwen2.5-VL as one model family (model_family.h): registered here, beside
// its code. Both model types read through one config reader; the stored names of every
// transformers layout map to transformers 5's.
#include <algorithm>

#include "common/error.h"
#include "model/model_family.h"
#include "model/qwen2_vl/qwen2_vl_config.h"
#include "model/qwen2_vl/qwen2_vl_model.h"

namespace clear_sweep {
namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

/// transformers before 4.52 stored visual.* and model.{embed_tokens, layers, norm}.*;
/// since then model.visual.* and model.language_model.*; lm_head.* throughout.
std::string qwen2_vl_weight_name(const std::string& stored) {
  if (starts_with(stored, "visual.")) return "model." + stored;
  if (starts_with(stored, "model.") && !starts_with(stored, "model.language_model.") &&
      !starts_with(stored, "model.visual."))
    return "model.language_model." + stored.substr(6);
  return stored;
}

/// The folder's Qwen2VLImageProcessor; our presets' folders, which have none (and a
/// preset without a folder, ""), resize to their square image's area (smart_resize with
/// min and max pixels both that).
ImageProcessor qwen2_vl_image_processor(const std::string& dir, const ModelConfig& config) {
  const VisionConfig& v = config.vision;
  if (preset_without_processor(dir, config, qwen2_vl_preset_names())) {
    const int64_t area = v.image_size * v.image_size;
    return ImageProcessor::qwen2_vl(int(v.patch_size), int(v.spatial_merge), int(v.temporal_patch), area, area);
  }
  ImageProcessor p = load_image_processor(dir, int(v.image_size), /*stretch_if_missing=*/false);
  if (p.kind != ImageProcessor::Kind::qwen2_vl)
    throw Error(SourceLocation{dir}, "image_processor_type",
                "a Qwen2-VL model needs Qwen2VLImageProcessor's patches, and the folder's processor is another");
  if (p.patch_size != v.patch_size || p.merge_size != v.spatial_merge || p.temporal_patch_size != v.temporal_patch)
    throw Error(SourceLocation{dir}, "patch_size",
                "the image processor's patch_size, merge_size or temporal_patch_size differ from config.json's "
                "vision_config");
  return p;
}

const ModelFamilyRegistration kQwen2Vl{ModelFamily{
    "qwen2_vl",
    {kQwen2VlType, kQwen25VlType},
    {"Qwen2VLForConditionalGeneration", "Qwen2_5_VLForConditionalGeneration"},
    qwen2_vl_preset_names(),
    qwen2_vl_config_parse,
    qwen2_vl_config_json,
    qwen2_vl_preset,
    [](const ModelConfig& config) -> std::shared_ptr<VlmImpl> { return std::make_shared<Qwen2VlImpl>(config); },
    qwen2_vl_weight_name,
    qwen2_vl_image_processor,
    /*chat_with_images=*/true,
}};

}  // namespace
}  // namespace clear_sweep
