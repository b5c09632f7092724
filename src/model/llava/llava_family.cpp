// LLaVA-1.5 as a model family (model_family.h): registered here, beside its code.
#include <algorithm>

#include "common/error.h"

#include "model/llava/llava_config.h"
#include "model/llava/llava_model.h"
#include "model/llava/llava_weights.h"
#include "model/model_family.h"

namespace clear_sweep {
namespace {

const ModelFamilyRegistration kLlava{ModelFamily{
    "llava",
    {"llava"},
    {"LlavaForConditionalGeneration"},
    llava_preset_names(),
    llava_config_parse,
    llava_config_json,
    llava_preset,
    [](const ModelConfig& config) -> std::shared_ptr<VlmImpl> { return std::make_shared<LlavaImpl>(config); },
    [](const std::string& stored) { return llava_weight_name(stored); },
    // The folder's CLIPImageProcessor settings; only our presets' folders may have none
    // (they train from scratch on stretched images), nor a preset without a folder ("").
    [](const std::string& dir, const ModelConfig& config) {
      if (dir.empty()) return ImageProcessor::stretch(int(config.vision.image_size));
      const auto& presets = llava_preset_names();
      const bool ours = std::find(presets.begin(), presets.end(), config.preset) != presets.end();
      ImageProcessor p = load_image_processor(dir, int(config.vision.image_size), ours);
      if (p.kind != ImageProcessor::Kind::clip && p.kind != ImageProcessor::Kind::stretch)
        throw Error(
            SourceLocation{dir}, "image_processor_type",
            "a LLaVA-1.5 model reads CLIPImageProcessor's square images, and the folder's processor is another");
      return p;
    },
}};

}  // namespace
}  // namespace clear_sweep
