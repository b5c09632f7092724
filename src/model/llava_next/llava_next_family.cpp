// LLaVA-NeXT as a model family (model_family.h): LLaVA's config reader and weight names
// (llava/), its own model and presets, and the folder's LlavaNextImageProcessor.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "model/llava/llava_config.h"
#include "model/llava/llava_weights.h"
#include "model/llava_next/llava_next_model.h"
#include "model/model_family.h"

namespace clear_sweep {
namespace {

/// The folder's LlavaNextImageProcessor, told the tower's patch size (it counts each
/// image's placeholders); our presets' folders, which have none, tile at their pinpoints.
ImageProcessor llava_next_image_processor(const std::string& dir, const ModelConfig& config) {
  const VisionConfig& v = config.vision;
  ImageProcessor p;
  if (preset_without_processor(dir, config, llava_next_preset_names())) {
    p = ImageProcessor::llava_next(std::vector<std::pair<int, int>>(), int(v.image_size));
    for (const auto& [h, w] : v.anyres_pinpoints) p.grid_pinpoints.emplace_back(int(h), int(w));
  } else {
    p = load_image_processor(dir, int(v.image_size), /*stretch_if_missing=*/false);
    if (p.kind != ImageProcessor::Kind::llava_next)
      throw Error(SourceLocation{dir}, "image_processor_type",
                  "a LLaVA-NeXT model needs LlavaNextImageProcessor's tiles, and the folder's processor is another");
  }
  // The processor's tiles must be the tower's input and its pinpoints the model's: the
  // model lays the tiles out by config.json's.
  if (p.crop_height != v.image_size)
    throw Error(SourceLocation{dir}, "crop_size",
                "is " + std::to_string(p.crop_height) + " in the image processor's settings and " +
                    std::to_string(v.image_size) + " in config.json's vision_config.image_size",
                "the tiles are the vision tower's input");
  std::vector<std::pair<int, int>> mine;
  for (const auto& [h, w] : v.anyres_pinpoints) mine.emplace_back(int(h), int(w));
  if (p.grid_pinpoints != mine)
    throw Error(SourceLocation{dir}, "image_grid_pinpoints", "the image processor's differ from config.json's",
                "the model lays the tiles out by config.json's");
  p.vision_patch_size = int(v.patch_size);
  p.keep_class_token = v.keep_class_token;
  return p;
}

const ModelFamilyRegistration kLlavaNext{ModelFamily{
    kLlavaNextFamily,
    {"llava_next"},
    {"LlavaNextForConditionalGeneration"},
    llava_next_preset_names(),
    llava_config_parse,
    llava_config_json,
    llava_next_preset,
    [](const ModelConfig& config) -> std::shared_ptr<VlmImpl> { return std::make_shared<LlavaNextImpl>(config); },
    [](const std::string& stored) { return llava_weight_name(stored); },
    llava_next_image_processor,
}};

}  // namespace
}  // namespace clear_sweep
