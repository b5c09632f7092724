// The image processor for the reference tests (test_clip_processor.py,
// test_qwen2_vl_processor.py, test_llava_next_processor.py, test_idefics2_processor.py):
//   image_preprocess_dump CONFIG [MODEL OPTIONS] IMAGE OUT_PREFIX
// writes OUT_PREFIX.u8 (the RGB bytes before rescaling, H x W x 3: center-cropped for
// clip, smart-resized for qwen2_vl; for llava_next its crops one after another, crops x
// crop x crop x 3; for idefics2 its crops one after another, each its own size) and
// OUT_PREFIX.f32 (the model input, float32: 3 x H x W channel-major for clip, [patches,
// dim] for qwen2_vl and idefics2, [crops, 3, crop, crop] for llava_next), and prints one
// JSON line: {"kind", "shape" (output_shape), "resized" [h, w] (one crop's for
// llava_next, the last crop's for idefics2), and for qwen2_vl "grid" [t, h, w], for
// llava_next "best" [h, w] (its select_best_resolution), for idefics2 "crops" (each
// crop's [h, w]); for all but clip "layout_rows" and "tokens", and "layout" but for idefics2}.
//   image_preprocess_dump CONFIG [MODEL OPTIONS] --sizes H W [H W ...]
// prints one JSON line per size: {"size": [H, W], "resized": [h, w], "grid": [t, h, w]}
// for qwen2_vl, {"size": [H, W], "best": [h, w]} for llava_next, {"size": [H, W],
// "resized": [h, w] (the whole image's idefics2_resize)} for idefics2, each with
// "layout_rows" and "tokens" (and "layout" but for idefics2); or {"size": [H, W],
// "error": key, "message": ...} where it is refused.
//   image_preprocess_dump --resize-bilinear IMAGE OUT_PREFIX W H [W H ...]
// writes resize_bilinear_pil of IMAGE to each W x H as OUT_PREFIX.<i>.u8 (H x W x 3).
// CONFIG is a preprocessor_config.json-like file (ImageProcessor::parse), or a model
// folder (load_image_processor; for the kinds whose size follows each image: a clip
// processor is checked against a tower that takes no size there).
// MODEL OPTIONS, the model-side settings the family sets: --vision-patch-size P,
// --keep-class-token (llava_next: vision_patch_size, keep_class_token); --patch-size P,
// --image-seq-len N (idefics2: patch_size, image_seq_len).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "data/image_processor.h"

using namespace clear_sweep;

namespace {

const char* kind_name(ImageProcessor::Kind kind) {
  switch (kind) {
    case ImageProcessor::Kind::stretch:
      return "stretch";
    case ImageProcessor::Kind::clip:
      return "clip";
    case ImageProcessor::Kind::qwen2_vl:
      return "qwen2_vl";
    case ImageProcessor::Kind::llava_next:
      return "llava_next";
    case ImageProcessor::Kind::idefics2:
      return "idefics2";
  }
  return "?";
}

/// What the model gets beside the pixels: qwen2_vl's grid, llava_next's best pinpoint,
/// idefics2's resized size, and for all the layout rows (and the one layout but for
/// idefics2) and the placeholder tokens.
nlohmann::json layout_json(const ImageProcessor& p, int height, int width) {
  nlohmann::json line{{"layout_rows", p.layout_rows(height, width)}, {"tokens", p.image_tokens(height, width)}};
  if (p.kind == ImageProcessor::Kind::idefics2) {
    const auto [h, w] = p.idefics2_resize(height, width);
    line["resized"] = {h, w};
    return line;
  }
  line["layout"] = p.layout(height, width);
  if (p.kind == ImageProcessor::Kind::qwen2_vl) {
    const ImageProcessor::PatchGrid grid = p.patch_grid(height, width);
    line["grid"] = {grid.t, grid.h, grid.w};
  } else {
    const auto [h, w] = select_best_resolution(height, width, p.grid_pinpoints);
    line["best"] = {h, w};
  }
  return line;
}

/// The resized size (qwen2_vl), layout and tokens of each H W pair, or the error that refuses it.
void sizes(const ImageProcessor& p, int count, char** args) {
  for (int i = 0; i + 1 < count; i += 2) {
    const int height = std::atoi(args[i]), width = std::atoi(args[i + 1]);
    nlohmann::json line{{"size", {height, width}}};
    try {
      if (p.kind == ImageProcessor::Kind::qwen2_vl) {
        const auto [h, w] = p.smart_resize(height, width);
        line["resized"] = {h, w};
      }
      line.update(layout_json(p, height, width));
    } catch (const Error& e) {
      line["error"] = e.key();
      line["message"] = e.message();
    }
    std::printf("%s\n", line.dump().c_str());
  }
}

void write_bytes(const std::string& path, const void* data, size_t bytes) {
  std::ofstream(path, std::ios::binary).write(static_cast<const char*>(data), std::streamsize(bytes));
}

/// --resize-bilinear IMAGE OUT_PREFIX W H [W H ...].
void resize_bilinear(int count, char** args) {
  const Image image = read_image(args[0]);
  for (int i = 2; i + 1 < count; i += 2) {
    const Image resized = resize_bilinear_pil(image, std::atoi(args[i]), std::atoi(args[i + 1]));
    write_bytes(std::string(args[1]) + "." + std::to_string(i / 2 - 1) + ".u8", resized.rgb.data(), resized.rgb.size());
  }
}

/// CONFIG: a file's settings, or a model folder's as load_image_processor finds them.
ImageProcessor read_processor(const std::string& config) {
  if (std::filesystem::is_directory(config)) return load_image_processor(config, 0, false);
  std::ifstream in(config);
  std::ostringstream text;
  text << in.rdbuf();
  return ImageProcessor::parse(text.str(), config);
}

}  // namespace

int main(int argc, char** argv) {
  const char* usage =
      "usage: image_preprocess_dump CONFIG [MODEL OPTIONS] IMAGE OUT_PREFIX\n"
      "       image_preprocess_dump CONFIG [MODEL OPTIONS] --sizes H W [H W ...]\n"
      "       image_preprocess_dump --resize-bilinear IMAGE OUT_PREFIX W H [W H ...]\n"
      "CONFIG: a preprocessor_config.json-like file, or a model folder\n"
      "MODEL OPTIONS: --vision-patch-size P, --keep-class-token (llava_next); --patch-size P,\n"
      "  --image-seq-len N (idefics2)\n";
  if (argc < 4) {
    std::fprintf(stderr, "%s", usage);
    return 2;
  }
  try {
    if (std::string(argv[1]) == "--resize-bilinear") {
      resize_bilinear(argc - 2, argv + 2);
      return 0;
    }
    ImageProcessor processor = read_processor(argv[1]);
    int at = 2;
    for (; at < argc; ++at) {
      const std::string option = argv[at];
      if (option == "--vision-patch-size" && at + 1 < argc)
        processor.vision_patch_size = std::atoi(argv[++at]);
      else if (option == "--keep-class-token")
        processor.keep_class_token = true;
      else if (option == "--patch-size" && at + 1 < argc)
        processor.patch_size = std::atoi(argv[++at]);
      else if (option == "--image-seq-len" && at + 1 < argc)
        processor.image_seq_len = std::atoi(argv[++at]);
      else
        break;
    }
    if (at < argc && std::string(argv[at]) == "--sizes") {
      sizes(processor, argc - at - 1, argv + at + 1);
      return 0;
    }
    if (argc - at != 2) {
      std::fprintf(stderr, "%s", usage);
      return 2;
    }
    const Image image = read_image(argv[at]);
    const std::string out = argv[at + 1];
    nlohmann::json line{{"kind", kind_name(processor.kind)}, {"shape", processor.output_shape(image)}};
    if (processor.kind == ImageProcessor::Kind::llava_next) {
      std::string bytes;
      for (const Image& crop : llava_next_crops(image, processor)) {
        bytes.append(crop.rgb.begin(), crop.rgb.end());
        line["resized"] = {crop.height, crop.width};
      }
      write_bytes(out + ".u8", bytes.data(), bytes.size());
    } else if (processor.kind == ImageProcessor::Kind::idefics2) {
      std::string bytes;
      line["crops"] = nlohmann::json::array();
      for (const Image& crop : idefics2_crops(image, processor)) {
        bytes.append(crop.rgb.begin(), crop.rgb.end());
        line["crops"].push_back({crop.height, crop.width});
      }
      write_bytes(out + ".u8", bytes.data(), bytes.size());
    } else {
      const bool qwen = processor.kind == ImageProcessor::Kind::qwen2_vl;
      const Image pixels = qwen ? qwen2_vl_resize(image, processor) : clip_resize_and_crop(image, processor);
      write_bytes(out + ".u8", pixels.rgb.data(), pixels.rgb.size());
      line["resized"] = {pixels.height, pixels.width};
    }
    const std::vector<float> input = processor(image);
    write_bytes(out + ".f32", input.data(), input.size() * sizeof(float));
    if (processor.kind != ImageProcessor::Kind::clip && processor.kind != ImageProcessor::Kind::stretch)
      line.update(layout_json(processor, image.height, image.width));
    std::printf("%s\n", line.dump().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "image_preprocess_dump: %s\n", e.what());
    return 1;
  }
  return 0;
}
