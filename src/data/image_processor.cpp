#include "data/image_processor.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"

namespace clear_sweep {
namespace {

/// PIL's bicubic kernel (a = -0.5), support 2.
double bicubic(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

/// One output pixel's taps along an axis: the first input index and fixed-point weights.
struct Taps {
  int first = 0;
  std::vector<int32_t> weights;
};

/// PIL's precompute_coeffs and normalize_coeffs_8bpc: weights over the input pixels
/// under each output pixel, scaled to 22 fraction bits.
constexpr int kPrecisionBits = 32 - 8 - 2;

std::vector<Taps> pil_taps(int in_size, int out_size) {
  const double scale = double(in_size) / double(out_size);
  const double filter_scale = std::max(scale, 1.0);
  const double support = 2.0 * filter_scale, inverse = 1.0 / filter_scale;
  std::vector<Taps> taps(static_cast<size_t>(out_size));
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    int xmin = int(center - support + 0.5);  // truncation, as PIL's (int) casts
    if (xmin < 0) xmin = 0;
    int xmax = int(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    std::vector<double> k(size_t(xmax - xmin));
    double total = 0.0;
    for (int x = 0; x < xmax - xmin; ++x) {
      k[size_t(x)] = bicubic((x + xmin - center + 0.5) * inverse);  // PIL multiplies: same rounding
      total += k[size_t(x)];
    }
    Taps& t = taps[size_t(xx)];
    t.first = xmin;
    for (double w : k) {
      if (total != 0.0) w /= total;
      t.weights.push_back(
          int32_t(w < 0 ? std::trunc(-0.5 + w * (1 << kPrecisionBits)) : std::trunc(0.5 + w * (1 << kPrecisionBits))));
    }
  }
  return taps;
}

/// Planar float pixels between the two passes.
struct FloatImage {
  int width = 0, height = 0;
  std::vector<double> values;  ///< height * width * 3
  double& at(int x, int y, int c) { return values[(size_t(y) * size_t(width) + size_t(x)) * 3 + size_t(c)]; }
};

}  // namespace

Image resize_bicubic_pil(const Image& image, int width, int height) {
  CS_ASSERT(width > 0 && height > 0, "resize to an empty image");
  // PIL's filter and weights, horizontal pass first, but in double precision throughout:
  // PIL rounds each pass to 8 bits, and which pass Pillow runs first varies between its
  // builds, so the last bit cannot be matched in general. Rounding once keeps every
  // pixel within 1/255 of PIL's (tests/data/test_clip_processor.py; most are equal).
  const std::vector<Taps> tx = pil_taps(image.width, width), ty = pil_taps(image.height, height);
  const double unit = double(1 << kPrecisionBits);
  FloatImage mid{width, image.height, std::vector<double>(size_t(width) * size_t(image.height) * 3)};
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c) {
        double sum = 0.0;
        const Taps& t = tx[size_t(x)];
        for (size_t i = 0; i < t.weights.size(); ++i) sum += image.at(t.first + int(i), y)[c] * (t.weights[i] / unit);
        mid.at(x, y, c) = std::clamp(sum, 0.0, 255.0);  // PIL clips between the passes too
      }
  Image out(width, height);
  for (int y = 0; y < height; ++y) {
    const Taps& t = ty[size_t(y)];
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c) {
        double sum = 0.0;
        for (size_t i = 0; i < t.weights.size(); ++i) sum += mid.at(x, t.first + int(i), c) * (t.weights[i] / unit);
        out.at(x, y)[c] = uint8_t(std::clamp(std::floor(sum + 0.5), 0.0, 255.0));
      }
  }
  return out;
}

Image clip_resize_and_crop(const Image& image, const ImageProcessor& p) {
  Image sized = image;
  if (p.do_resize) {
    // transformers' get_resize_output_image_size (default_to_square=False): the short
    // side to shortest_edge, the long side scaled and truncated.
    const bool wide = image.width > image.height;
    const int short_side = wide ? image.height : image.width, long_side = wide ? image.width : image.height;
    const int new_long = int(double(p.shortest_edge) * long_side / short_side);
    sized = wide ? resize_bicubic_pil(image, new_long, p.shortest_edge)
                 : resize_bicubic_pil(image, p.shortest_edge, new_long);
  }
  // transformers' center_crop: offsets floor((size - crop) / 2); zero padding where the
  // image is smaller than the crop.
  Image out(p.crop_width, p.crop_height);
  const int top = int(std::floor((sized.height - p.crop_height) / 2.0));
  const int left = int(std::floor((sized.width - p.crop_width) / 2.0));
  for (int y = 0; y < p.crop_height; ++y)
    for (int x = 0; x < p.crop_width; ++x) {
      const int sy = y + top, sx = x + left;
      if (sy < 0 || sx < 0 || sy >= sized.height || sx >= sized.width) continue;
      std::copy_n(sized.at(sx, sy), 3, out.at(x, y));
    }
  return out;
}

ImageProcessor ImageProcessor::stretch(int size) {
  ImageProcessor p;
  p.kind = Kind::stretch;
  p.crop_height = p.crop_width = p.shortest_edge = size;
  return p;
}

std::vector<float> ImageProcessor::operator()(const Image& image) const {
  if (kind == Kind::stretch) return image_to_input(image, crop_width, norm);
  const Image pixels = clip_resize_and_crop(image, *this);
  const size_t plane = size_t(pixels.width) * size_t(pixels.height);
  std::vector<float> out(3 * plane);
  for (size_t i = 0; i < plane; ++i)
    for (size_t c = 0; c < 3; ++c) {
      double v = pixels.rgb[i * 3 + c];
      if (do_rescale) v = float(v * rescale_factor);  // transformers rescales in float64, stores float32
      if (do_normalize) v = (float(v) - norm.mean[c]) / norm.std[c];
      out[c * plane + i] = float(v);
    }
  return out;
}

ImageProcessor ImageProcessor::parse(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or a number that overflows
    throw Error(SourceLocation{source}, "json", std::string("not JSON: ") + e.what());
  }
  auto fail = [&](const std::string& key, const std::string& message) {
    throw Error(SourceLocation{source}, key, message);
  };
  auto get = [&](const char* key, auto fallback) {
    using T = decltype(fallback);
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    try {
      return it->template get<T>();
    } catch (const nlohmann::json::exception&) {
      fail(key, "has the wrong type: " + it->dump());
    }
    return fallback;
  };
  ImageProcessor p;
  p.kind = Kind::clip;
  // CLIPImageProcessor's defaults where a key is left out.
  const std::string type = get("image_processor_type", std::string("CLIPImageProcessor"));
  if (type.rfind("CLIPImageProcessor", 0) != 0)
    fail("image_processor_type", "is '" + type + "': clear-sweep follows CLIPImageProcessor only");
  if (get("resample", 3) != 3) fail("resample", "is not 3 (bicubic), the only filter clear-sweep implements");
  if (!get("do_convert_rgb", true)) fail("do_convert_rgb", "is false: images are read as RGB");
  p.do_resize = get("do_resize", true);
  p.do_rescale = get("do_rescale", true);
  p.do_normalize = get("do_normalize", true);
  p.rescale_factor = get("rescale_factor", 1.0 / 255.0);
  p.shortest_edge = 224;
  if (j.contains("size")) {
    const auto& size = j["size"];
    if (size.is_number_integer())
      p.shortest_edge = size.get<int>();
    else if (size.is_object() && size.contains("shortest_edge") && size["shortest_edge"].is_number_integer())
      p.shortest_edge = size["shortest_edge"].get<int>();
    else
      fail("size", "is " + size.dump() + ": clear-sweep resizes by shortest_edge only");
  }
  p.crop_height = p.crop_width = 224;
  if (j.contains("crop_size")) {
    const auto& crop = j["crop_size"];
    if (crop.is_number_integer())
      p.crop_height = p.crop_width = crop.get<int>();
    else if (crop.is_object() && crop.contains("height") && crop.contains("width"))
      p.crop_height = crop["height"].get<int>(), p.crop_width = crop["width"].get<int>();
    else
      fail("crop_size", "is " + crop.dump() + ": expected {\"height\": H, \"width\": W}");
  }
  if (p.shortest_edge <= 0 || p.crop_height <= 0 || p.crop_width <= 0) fail("size", "must be positive");
  if (!get("do_center_crop", true))
    fail("do_center_crop", "is false: the tower takes one fixed size, so clear-sweep needs the crop");
  for (const char* key : {"image_mean", "image_std"}) {
    if (!j.contains(key)) continue;
    const auto& v = j[key];
    if (!v.is_array() || v.size() != 3) fail(key, "must list 3 numbers (R, G, B)");
    for (size_t c = 0; c < 3; ++c) (std::string(key) == "image_mean" ? p.norm.mean : p.norm.std)[c] = v[c].get<float>();
  }
  return p;
}

ImageProcessor load_image_processor(const std::string& dir, int image_size, bool stretch_if_missing) {
  const auto read = [](const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(SourceLocation{path.string()}, "file", "cannot open the file");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  };
  // transformers' order: a processor's nested settings first, then the file of its own.
  std::string text, source;
  const std::filesystem::path processor = std::filesystem::path(dir) / kProcessorConfigFile;
  if (std::filesystem::exists(processor)) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read(processor));
    } catch (const nlohmann::json::exception& e) {  // parse_error, or a number that overflows
      throw Error(SourceLocation{processor.string()}, "json", std::string("not JSON: ") + e.what());
    }
    if (j.is_object() && j.contains("image_processor") && !j["image_processor"].is_null()) {
      if (!j["image_processor"].is_object())
        throw Error(SourceLocation{processor.string()}, "image_processor", "is not an object: " + j["image_processor"].dump());
      text = j["image_processor"].dump();
      source = processor.string() + " (image_processor)";
    }
  }
  const std::filesystem::path preprocessor = std::filesystem::path(dir) / kPreprocessorConfigFile;
  if (source.empty() && std::filesystem::exists(preprocessor)) {
    text = read(preprocessor);
    source = preprocessor.string();
  }
  if (source.empty()) {
    if (stretch_if_missing) return ImageProcessor::stretch(image_size);
    throw Error(SourceLocation{dir}, "image processor",
                std::string("the model folder has no image processor settings: looked for ") + kProcessorConfigFile +
                    " (its image_processor) and " + kPreprocessorConfigFile,
                "save the processor beside the model (processor.save_pretrained(folder)); clear-sweep never guesses "
                "how a real model's images are sized");
  }
  ImageProcessor p = ImageProcessor::parse(text, source);
  if (p.crop_height != image_size || p.crop_width != image_size)
    throw Error(SourceLocation{source}, "crop_size",
                "gives " + std::to_string(p.crop_height) + " x " + std::to_string(p.crop_width) +
                    " images, but the vision tower takes " + std::to_string(image_size) + " x " +
                    std::to_string(image_size));
  return p;
}

}  // namespace clear_sweep
