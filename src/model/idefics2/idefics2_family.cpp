// Idefics2 as a model family (model_family.h): registered here, beside its code. Its
// stored names are transformers' in every version (model.vision_model.*,
// model.connector.*, model.text_model.*, lm_head.*).
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.h"
#include "common/file_read.h"
#include "model/idefics2/idefics2_config.h"
#include "model/idefics2/idefics2_model.h"
#include "model/model_family.h"

namespace clear_sweep {
namespace {

/// The folder's Idefics2ImageProcessor, told the encoder's patch size and the resampler's
/// latents (they make each crop's patches and tokens); our presets' folders, which have
/// none, resize every image to their square (shortest and longest edge both image_size).
ImageProcessor idefics2_image_processor(const std::string& dir, const ModelConfig& config) {
  const VisionConfig& v = config.vision;
  ImageProcessor p;
  if (preset_without_processor(dir, config, idefics2_preset_names())) {
    p = ImageProcessor::idefics2(int(v.patch_size), int(v.resampler.latents), int(v.image_size), int(v.image_size),
                                 v.image_splitting);
  } else {
    p = load_image_processor(dir, int(v.image_size), /*stretch_if_missing=*/false);
    if (p.kind != ImageProcessor::Kind::idefics2)
      throw Error(SourceLocation{dir}, "image_processor_type",
                  "an Idefics2 model needs Idefics2ImageProcessor's crops, and the folder's processor is another");
    // Idefics2Processor's image_seq_len writes each crop's <image> run: the resampler's
    // latents fill it, so the two must agree.
    const std::filesystem::path processor = std::filesystem::path(dir) / kProcessorConfigFile;
    if (std::filesystem::exists(processor)) {
      const auto j = nlohmann::json::parse(read_text_file(processor.string()), nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.contains("image_seq_len") && j["image_seq_len"].is_number_integer() &&
          j["image_seq_len"].get<int64_t>() != v.resampler.latents)
        throw Error(SourceLocation{processor.string()}, "image_seq_len",
                    "is " + j["image_seq_len"].dump() + " and config.json's perceiver_config.resampler_n_latents " +
                        std::to_string(v.resampler.latents),
                    "each crop's <image> run is filled by the resampler's latents");
    }
  }
  p.patch_size = int(v.patch_size);
  p.image_seq_len = int(v.resampler.latents);
  return p;
}

const ModelFamilyRegistration kIdefics2{ModelFamily{
    kIdefics2Family,
    {"idefics2"},
    {"Idefics2ForConditionalGeneration"},
    idefics2_preset_names(),
    idefics2_config_parse,
    idefics2_config_json,
    idefics2_preset,
    [](const ModelConfig& config) -> std::shared_ptr<VlmImpl> { return std::make_shared<Idefics2Impl>(config); },
    [](const std::string& stored) { return stored; },
    idefics2_image_processor,
    /*chat_with_images=*/true,
}};

}  // namespace
}  // namespace clear_sweep
