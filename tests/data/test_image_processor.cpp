// Where a model folder's image processor settings are read from: processor_config.json's
// "image_processor" (transformers 5) before preprocessor_config.json, as transformers
// resolves them; the stretch only where asked for (our presets' folders); a folder with
// neither is refused naming both files. tests/model/test_hf_score.py holds the numbers
// against transformers on such folders.
#include <algorithm>
#include <fstream>
#include <functional>

#include "data/image_processor.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

const char* kClip32 = R"({"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 40},
                          "crop_size": {"height": 32, "width": 32}})";

}  // namespace

TEST_CASE("image processor settings are read where transformers reads them", "[data][image]") {
  TempDir dir;
  // None: the stretch for our presets, an error naming both files for a real model.
  CHECK(load_image_processor(dir.path(), 32, true).kind == ImageProcessor::Kind::stretch);
  const Error none = expect_error([&] { load_image_processor(dir.path(), 32, false); });
  CHECK(none.message().find("processor_config.json") != std::string::npos);
  CHECK(none.message().find("preprocessor_config.json") != std::string::npos);

  // The hub's older layout.
  write(dir.file("preprocessor_config.json"),
        R"({"size": {"shortest_edge": 48}, "crop_size": {"height": 32, "width": 32}})");
  CHECK(load_image_processor(dir.path(), 32, false).shortest_edge == 48);

  // processor_config.json without image settings (a processor's other keys) changes nothing.
  write(dir.file("processor_config.json"), R"({"patch_size": 8})");
  CHECK(load_image_processor(dir.path(), 32, false).shortest_edge == 48);

  // transformers 5: the nested settings win over preprocessor_config.json.
  write(dir.file("processor_config.json"), std::string(R"({"patch_size": 8, "image_processor": )") + kClip32 + "}");
  const ImageProcessor nested = load_image_processor(dir.path(), 32, false);
  CHECK(nested.kind == ImageProcessor::Kind::clip);
  CHECK(nested.shortest_edge == 40);

  // Bad nested settings are refused naming the file and the key.
  write(dir.file("processor_config.json"), R"({"image_processor": {"resample": 2}})");
  const Error bad = expect_error([&] { load_image_processor(dir.path(), 32, false); });
  CHECK(bad.key() == "resample");
  CHECK(std::string(bad.what()).find("processor_config.json (image_processor)") != std::string::npos);
  write(dir.file("processor_config.json"), R"({"image_processor": 3})");
  CHECK(expect_error([&] { load_image_processor(dir.path(), 32, false); }).key() == "image_processor");
}

// Qwen2-VL's processor. Every expected size below follows from smart_resize's definition
// (multiples of patch * merge, Python's round() taking halves to even, the pixel bounds);
// tests/data/test_qwen2_vl_processor.py holds the numbers against transformers.

namespace {

/// Qwen2-VL's patch and merge (factor 28) with a floor low enough to keep one 28 x 28 tile.
ImageProcessor qwen_tile_floor() { return ImageProcessor::qwen2_vl(14, 2, 2, 28 * 28, 28 * 28 * 1280); }

/// A folder that names Qwen2VLImageProcessor and nothing else: transformers' defaults.
ImageProcessor qwen_defaults() {
  return ImageProcessor::parse(R"({"image_processor_type": "Qwen2VLImageProcessor"})", "preprocessor_config.json");
}

}  // namespace

TEST_CASE("smart_resize keeps sizes that fit and rounds halves to even", "[data][image][qwen2_vl]") {
  const ImageProcessor p = qwen_tile_floor();
  const int f = p.patch_size * p.merge_size;
  CHECK(p.smart_resize(f, f) == std::pair<int, int>{f, f});
  CHECK(p.smart_resize(2 * f, 3 * f) == std::pair<int, int>{2 * f, 3 * f});
  // A side of k + 1/2 factors rounds to the even one of k and k + 1.
  for (int k = 1; k <= 8; ++k) {
    const int even = k % 2 == 0 ? k : k + 1;
    CHECK(p.smart_resize(k * f + f / 2, 4 * f) == std::pair<int, int>{even * f, 4 * f});
    CHECK(p.smart_resize(4 * f, k * f + f / 2) == std::pair<int, int>{4 * f, even * f});
  }
  // Just under and over a half round down and up.
  CHECK(p.smart_resize(f + f / 2 - 1, f).first == f);
  CHECK(p.smart_resize(2 * f + f / 2 + 1, f).first == 3 * f);
}

TEST_CASE("smart_resize lands on multiples of the factor within the pixel bounds", "[data][image][qwen2_vl]") {
  const ImageProcessor p = qwen_defaults();
  const ImageProcessor q = ImageProcessor::qwen2_vl(14, 2, 2, 28 * 28 * 4, 28 * 28 * 64);
  for (const ImageProcessor* proc : {&p, &q}) {
    const int f = proc->patch_size * proc->merge_size;
    for (int h : {1, 2, 5, 13, 27, 28, 29, 41, 42, 99, 250, 511, 1000, 1999, 4000})
      for (int w : {1, 3, 7, 28, 55, 56, 57, 300, 777, 1024, 3001, 6000}) {
        if (std::max(h, w) > 200 * std::min(h, w)) continue;
        const auto [rh, rw] = proc->smart_resize(h, w);
        INFO(h << " x " << w << " -> " << rh << " x " << rw);
        CHECK(rh % f == 0);
        CHECK(rw % f == 0);
        CHECK(rh >= f);
        CHECK(rw >= f);
        CHECK(int64_t(rh) * rw >= proc->min_pixels);
        // Over max_pixels only where a side is held at one factor.
        if (int64_t(rh) * rw > proc->max_pixels) CHECK((rh == f || rw == f));
        // The longer side stays the longer (or they become equal).
        if (h < w) CHECK(rh <= rw);
        if (h > w) CHECK(rh >= rw);
      }
  }
}

TEST_CASE("smart_resize scales a tiny image up and a huge one down", "[data][image][qwen2_vl]") {
  const ImageProcessor p = qwen_defaults();
  const int f = p.patch_size * p.merge_size;
  const auto [th, tw] = p.smart_resize(5, 7);
  CHECK(int64_t(th) * tw >= p.min_pixels);
  CHECK(th % f == 0);
  CHECK(tw % f == 0);
  CHECK(th <= tw);
  const auto [bh, bw] = p.smart_resize(4000, 3000);
  CHECK(int64_t(bh) * bw <= p.max_pixels);
  CHECK(bh >= bw);
  // Scaled down by floor: one more factor on both sides would pass max_pixels.
  CHECK(int64_t(bh + f) * (bw + f) > p.max_pixels);
}

TEST_CASE("smart_resize refuses an aspect past 200:1 naming the image size", "[data][image][qwen2_vl]") {
  const ImageProcessor p = qwen_defaults();
  CHECK_NOTHROW(p.smart_resize(1, 200));
  CHECK_NOTHROW(p.smart_resize(200, 1));
  for (const auto& [h, w] : {std::pair<int, int>{1, 201}, {201, 1}, {3, 700}}) {
    const Error e = expect_error([&, h = h, w = w] { p.smart_resize(h, w); });
    CHECK(e.key() == "image size");
    CHECK(e.message().find(std::to_string(h) + " x " + std::to_string(w)) != std::string::npos);
  }
  CHECK(expect_error([&] { p.smart_resize(0, 5); }).key() == "image size");
}

TEST_CASE("the patch grid and its image tokens and the output shape follow the resized size",
          "[data][image][qwen2_vl]") {
  const ImageProcessor p = qwen_defaults();
  for (const auto& [h, w] : {std::pair<int, int>{5, 7}, {28, 28}, {97, 61}, {40, 900}, {1000, 1100}}) {
    const auto [rh, rw] = p.smart_resize(h, w);
    const ImageProcessor::PatchGrid grid = p.patch_grid(h, w);
    CHECK(grid.t == 1);
    CHECK(grid.h == rh / p.patch_size);
    CHECK(grid.w == rw / p.patch_size);
    CHECK(p.image_tokens(h, w) == grid.h * grid.w / (p.merge_size * p.merge_size));
    const Image image(w, h);
    const std::vector<int64_t> shape = p.output_shape(image);
    const int64_t dim = 3 * p.temporal_patch_size * p.patch_size * p.patch_size;
    CHECK(shape == std::vector<int64_t>{grid.h * grid.w, dim});
    CHECK(int64_t(p(image).size()) == shape[0] * shape[1]);
  }
  // The fixed-size kinds.
  const ImageProcessor stretch = ImageProcessor::stretch(32);
  CHECK(stretch.output_shape(Image(50, 20)) == std::vector<int64_t>{3, 32, 32});
  CHECK(stretch(Image(50, 20)).size() == size_t(3 * 32 * 32));
}

TEST_CASE("qwen2_vl patches are in transformers' patchify order", "[data][image][qwen2_vl]") {
  // 2-pixel patches, 2 x 2 merge, 2 frames; no resize, rescale or normalisation, so each
  // value is the pixel's own byte, which encodes where it came from.
  ImageProcessor p = ImageProcessor::qwen2_vl(2, 2, 2, 1, 1 << 20);
  p.do_resize = p.do_rescale = p.do_normalize = false;
  const int P = 2, M = 2, T = 2, width = 12, height = 8;  // 6 x 4 patches, 3 x 2 merge blocks
  auto byte = [](int x, int y, int c) { return uint8_t((x * 7 + y * 31 + c * 101) % 256); };
  Image image(width, height);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c) image.at(x, y)[c] = byte(x, y, c);
  const std::vector<float> out = p(image);
  const int grid_w = width / P, dim = 3 * T * P * P, patches = (height / P) * grid_w;
  REQUIRE(out.size() == size_t(patches * dim));
  // Decode each entry's position from its indices: patch n = ((bh, bw), (mh, mw)),
  // entry d = (c, t, py, px).
  int wrong = 0;
  for (int n = 0; n < patches; ++n)
    for (int d = 0; d < dim; ++d) {
      const int block = n / (M * M), within = n % (M * M);
      const int bh = block / (grid_w / M), bw = block % (grid_w / M), mh = within / M, mw = within % M;
      const int c = d / (T * P * P), py = (d / P) % P, px = d % P;  // t = (d / (P * P)) % T: any frame
      const int x = (bw * M + mw) * P + px, y = (bh * M + mh) * P + py;
      if (out[size_t(n * dim + d)] != float(byte(x, y, c))) ++wrong;
    }
  CHECK(wrong == 0);
  // Without the resize, the sides must already be multiples of patch * merge.
  CHECK(expect_error([&] { p(Image(10, 8)); }).key() == "do_resize");
}

TEST_CASE("Qwen2VLImageProcessor settings are read in each layout folders hold them", "[data][image][qwen2_vl]") {
  auto parse = [](const std::string& text) { return ImageProcessor::parse(text, "preprocessor_config.json"); };
  // Left out: transformers' defaults.
  const ImageProcessor defaults = qwen_defaults();
  CHECK(defaults.kind == ImageProcessor::Kind::qwen2_vl);
  CHECK(defaults.min_pixels == ImageProcessor{}.min_pixels);  // the header's documented defaults
  CHECK(defaults.max_pixels == ImageProcessor{}.max_pixels);
  CHECK(defaults.patch_size == ImageProcessor{}.patch_size);
  CHECK(defaults.crop_height == 0);
  CHECK(defaults.crop_width == 0);
  // The hub's layout, transformers 5's, and 4.45's size {min_pixels, max_pixels}.
  for (
      const char* text :
      {R"({"image_processor_type": "Qwen2VLImageProcessor", "min_pixels": 1000, "max_pixels": 9000})",
       R"({"image_processor_type": "Qwen2VLImageProcessorPil", "size": {"shortest_edge": 1000, "longest_edge": 9000}})",
       R"({"image_processor_type": "Qwen2VLImageProcessorFast", "size": {"min_pixels": 1000, "max_pixels": 9000}})",
       R"({"image_processor_type": "Qwen2VLImageProcessor", "size": {"shortest_edge": 5, "longest_edge": 6},
            "min_pixels": 1000, "max_pixels": 9000})",
       R"({"image_processor_type": "Qwen2VLImageProcessor", "size": {"shortest_edge": 1000}, "max_pixels": 9000})"}) {
    INFO(text);
    const ImageProcessor p = parse(text);
    CHECK(p.kind == ImageProcessor::Kind::qwen2_vl);
    CHECK(p.min_pixels == 1000);
    CHECK(p.max_pixels == 9000);
  }
  const ImageProcessor custom = parse(R"({"image_processor_type": "Qwen2VLImageProcessor", "patch_size": 16,
      "temporal_patch_size": 1, "merge_size": 3, "image_mean": [0.5, 0.25, 0.125], "image_std": [1, 2, 4],
      "do_rescale": false, "rescale_factor": 0.5, "do_normalize": false, "do_resize": false})");
  CHECK(custom.patch_size == 16);
  CHECK(custom.temporal_patch_size == 1);
  CHECK(custom.merge_size == 3);
  CHECK(custom.norm.mean[1] == 0.25f);
  CHECK(custom.norm.std[2] == 4.0f);
  CHECK_FALSE(custom.do_rescale);
  CHECK(custom.rescale_factor == 0.5);
  CHECK_FALSE(custom.do_normalize);
  CHECK_FALSE(custom.do_resize);

  // What it cannot follow names the key and the file.
  for (const auto& [text, key] : std::vector<std::pair<std::string, std::string>>{
           {R"({"image_processor_type": "Qwen2VLImageProcessor", "resample": 2})", "resample"},
           {R"({"image_processor_type": "Qwen2VLImageProcessor", "size": {"height": 28, "width": 28}})", "size"},
           {R"({"image_processor_type": "Qwen2VLImageProcessor", "size": {"shortest_edge": 1000}})", "size"},
           {R"({"image_processor_type": "Qwen2VLImageProcessor", "patch_size": 0})", "patch_size"},
           {R"({"image_processor_type": "Qwen2VLImageProcessor", "min_pixels": 0})", "min_pixels"},
           {R"({"image_processor_type": "Qwen2VLImageProcessor", "do_convert_rgb": false})", "do_convert_rgb"},
           {R"({"image_processor_type": "Qwen2VLImageProcessor", "image_std": [1, 2]})", "image_std"},
           {R"({"image_processor_type": "SiglipImageProcessor"})", "image_processor_type"}}) {
    INFO(text);
    const Error e = expect_error([&, text = text] { parse(text); });
    CHECK(e.key() == key);
    CHECK(std::string(e.what()).find("preprocessor_config.json") != std::string::npos);
  }
}

TEST_CASE("a model folder's Qwen2-VL processor is loaded whatever the tower's image_size", "[data][image][qwen2_vl]") {
  TempDir dir;
  write(dir.file("processor_config.json"), R"({"image_processor": {"image_processor_type": "Qwen2VLImageProcessor",
                                                "min_pixels": 3136, "max_pixels": 12845056}})");
  const ImageProcessor p = load_image_processor(dir.path(), 32, false);
  CHECK(p.kind == ImageProcessor::Kind::qwen2_vl);
  CHECK(p.max_pixels == 12845056);
  write(dir.file("processor_config.json"), R"({"image_processor": {"image_processor_type": "Qwen2VLImageProcessor",
                                                "resample": 2}})");
  const Error bad = expect_error([&] { load_image_processor(dir.path(), 32, false); });
  CHECK(bad.key() == "resample");
  CHECK(std::string(bad.what()).find("processor_config.json (image_processor)") != std::string::npos);
}

// LLaVA-NeXT's processor (AnyRes). Every expected value below follows from transformers'
// definitions (select_best_resolution, get_patch_output_size, LlavaNextProcessor's
// _get_number_of_features); tests/data/test_llava_next_processor.py holds the numbers
// against transformers.

namespace {

using Pinpoints = std::vector<std::pair<int, int>>;

/// llava-v1.6's published pinpoints.
const Pinpoints kPublished = {{336, 672}, {672, 336}, {672, 672}, {1008, 336}, {336, 1008}};

}  // namespace

TEST_CASE("select_best_resolution picks the pinpoint an image fills, then the least waste",
          "[data][image][llava_next]") {
  // An image of a pinpoint's own size keeps all its pixels there and wastes nothing.
  for (const auto& [h, w] : kPublished) CHECK(select_best_resolution(h, w, kPublished) == std::pair<int, int>{h, w});
  // Smaller than every pinpoint: each keeps all its pixels, so the least area wins, the
  // first of equal areas ([336, 672] before [672, 336]).
  for (const auto& [h, w] : {std::pair<int, int>{1, 1}, {5, 7}, {300, 30}, {30, 300}, {335, 335}})
    CHECK(select_best_resolution(h, w, kPublished) == kPublished.front());
  // Larger than every pinpoint, the aspect of one: that one keeps the most pixels.
  for (const auto& [h, w] : kPublished)
    CHECK(select_best_resolution(3 * h, 3 * w, kPublished) == std::pair<int, int>{h, w});
  // Ties go to the first listed.
  const Pinpoints wide_first = {{32, 64}, {64, 32}}, tall_first = {{64, 32}, {32, 64}};
  CHECK(select_best_resolution(16, 16, wide_first) == wide_first.front());
  CHECK(select_best_resolution(16, 16, tall_first) == tall_first.front());
}

TEST_CASE("select_best_resolution truncates the scaled sides as transformers' floats do", "[data][image][llava_next]") {
  // A 56 x 55 image at (28, 14): scale 14 / 55, and 55 * (14 / 55) lands one ulp under 14
  // in double precision, so int() keeps 13 columns: 13 * 14 pixels, as at (14, 28)
  // (scale 1 / 4: int(13.75) = 13 by 56 / 4 = 14). Equal effective pixels and equal
  // areas: the first listed wins, where exact arithmetic would pick (28, 14) (14 * 14).
  REQUIRE(55.0 * (14.0 / 55.0) < 14.0);
  REQUIRE(56.0 / 4.0 == 14.0);
  CHECK(select_best_resolution(56, 55, Pinpoints{{14, 28}, {28, 14}}) == std::pair<int, int>{14, 28});
  CHECK(select_best_resolution(56, 55, Pinpoints{{28, 14}, {14, 28}}) == std::pair<int, int>{28, 14});
  // The model config's form gives the same.
  CHECK(select_best_resolution(56, 55, std::vector<std::array<int64_t, 2>>{{14, 28}, {28, 14}}) ==
        std::pair<int, int>{14, 28});
  // An empty image, or no pinpoints, is an Error.
  CHECK(expect_error([] { select_best_resolution(0, 5, kPublished); }).key() == "image size");
  CHECK(expect_error([] { select_best_resolution(5, 5, Pinpoints{}); }).key() == "image_grid_pinpoints");
}

TEST_CASE("LLaVA-NeXT's image tokens: the base, the unpadded tiles and a newline per row",
          "[data][image][llava_next]") {
  for (const int patch : {14, 8}) {
    ImageProcessor p = ImageProcessor::llava_next(kPublished, 336);
    p.vision_patch_size = patch;
    const int64_t P = 336 / patch;  // patches along a crop's side
    // An image of a pinpoint's size: its tiles hold no padding, nothing is unpadded.
    for (const auto& [h, w] : kPublished) {
      const int64_t rows = P * (h / 336), columns = P * (w / 336);
      INFO(patch << ": " << h << " x " << w);
      CHECK(p.image_tokens(h, w) == P * P + rows * columns + rows);
      CHECK(p.layout(h, w) == std::array<int64_t, 3>{1 + (h / 336) * (w / 336), h, w});
    }
    // A square image at (336, 672): resized to 336 square, centred in 672 columns; the
    // unpadded map keeps new_width = P columns, less an odd one's rounding: columns minus
    // twice (2P - P) // 2.
    const int64_t columns = 2 * P - 2 * ((2 * P - P) / 2);
    CHECK(p.image_tokens(336, 336) == P * P + P * columns + P);
    // keep_class_token ("full") adds the base crop's class feature, one token, whatever the size.
    ImageProcessor full = p;
    full.keep_class_token = true;
    for (const auto& [h, w] : {std::pair<int, int>{5, 7}, {400, 600}, {1100, 1300}, {40, 900}, {900, 40}})
      CHECK(full.image_tokens(h, w) == p.image_tokens(h, w) + 1);
  }
}

TEST_CASE("LLaVA-NeXT's token count rounds to 7 decimals before truncating", "[data][image][llava_next]") {
  // One 14-pixel crop and patch: a 49 x 49 image at (14, 28) is a 1 x 2 patch map. Its
  // unpadded width is int(round(49 * (1 / 49), 7)); 49 * (1 / 49) is one ulp under 1, and
  // the rounding takes it back to 1: (2 - 1) // 2 = 0 columns of padding each side, so
  // both columns stay (truncating alone would keep 0 and drop both).
  REQUIRE(49.0 * (1.0 / 49.0) < 1.0);
  const ImageProcessor p = ImageProcessor::llava_next({{14, 28}}, 14);
  const int64_t base = 1, rows = 1, columns = 2;
  CHECK(p.image_tokens(49, 49) == base + rows * columns + rows);
  // A crop smaller than the tower's patch gives it no patch: an Error, not a zero count.
  ImageProcessor small = ImageProcessor::llava_next({{8, 16}}, 8);
  small.vision_patch_size = 14;
  CHECK(expect_error([&] { small.image_tokens(8, 8); }).key() == "crop_size");
}

TEST_CASE("LLaVA-NeXT's crops: the base, then the padded tiles row by row", "[data][image][llava_next]") {
  // No rescale or normalisation: each value is its pixel's byte. A side-8 crop and a single
  // pinpoint (8, 16): an 8 x 8 image keeps its size (get_patch_output_size: height fills,
  // width ceil(8 * 1) = 8), centred in 16 columns with 4 zero columns each side.
  ImageProcessor p = ImageProcessor::llava_next({{8, 16}}, 8);
  p.do_rescale = p.do_normalize = false;
  const int side = 8, pad = (16 - side) / 2;
  auto byte = [](int x, int y, int c) { return uint8_t(1 + (x * 7 + y * 31 + c * 101) % 255); };  // never 0
  Image image(side, side);
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x)
      for (int c = 0; c < 3; ++c) image.at(x, y)[c] = byte(x, y, c);
  CHECK(p.layout(side, side) == std::array<int64_t, 3>{3, side, side});
  REQUIRE(p.output_shape(image) == std::vector<int64_t>{3, 3, side, side});
  const std::vector<float> out = p(image);
  REQUIRE(out.size() == size_t(3 * 3 * side * side));
  auto at = [&](int crop, int c, int y, int x) { return out[size_t(((crop * 3 + c) * side + y) * side + x)]; };
  int wrong = 0;
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x) {
        // The base: the image resized to its own size, a copy.
        if (at(0, c, y, x) != float(byte(x, y, c))) ++wrong;
        // The tiles: columns [0, 8) and [8, 16) of the padded image.
        for (int tile = 0; tile < 2; ++tile) {
          const int px = tile * side + x - pad;
          const float expected = px >= 0 && px < side ? float(byte(px, y, c)) : 0.0f;
          if (at(1 + tile, c, y, x) != expected) ++wrong;
        }
      }
  CHECK(wrong == 0);
  // llava_next_crops gives the same crops as 8-bit images.
  const std::vector<Image> crops = llava_next_crops(image, p);
  REQUIRE(crops.size() == 3);
  CHECK(crops[0].rgb == image.rgb);
}

TEST_CASE("LlavaNextImageProcessor settings are read, and what it cannot follow refused", "[data][image][llava_next]") {
  auto parse = [](const std::string& text) { return ImageProcessor::parse(text, "preprocessor_config.json"); };
  // llava-v1.6's preprocessor_config.json, in each of the type's names.
  for (const char* type : {"LlavaNextImageProcessor", "LlavaNextImageProcessorFast", "LlavaNextImageProcessorPil"}) {
    const ImageProcessor p = parse(std::string(R"({"image_processor_type": ")") + type + R"(",
        "aspect_ratio_setting": "anyres", "crop_size": {"height": 336, "width": 336}, "do_center_crop": true,
        "image_grid_pinpoints": [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]], "resample": 3,
        "size": {"shortest_edge": 336}, "do_pad": true})");
    INFO(type);
    CHECK(p.kind == ImageProcessor::Kind::llava_next);
    CHECK(p.grid_pinpoints == kPublished);
    CHECK(p.shortest_edge == 336);
    CHECK(p.crop_height == 336);
    CHECK(p.crop_width == 336);
    CHECK(p.do_center_crop);
    CHECK(p.do_pad);
    CHECK(p.norm.mean == kClipPixelNorm.mean);
    // The model-side settings keep their documented defaults until the family sets them.
    CHECK(p.vision_patch_size == ImageProcessor{}.vision_patch_size);
    CHECK(p.keep_class_token == ImageProcessor{}.keep_class_token);
  }
  const ImageProcessor custom = parse(R"({"image_processor_type": "LlavaNextImageProcessor", "size": {"height": 48,
      "width": 40}, "crop_size": 32, "image_grid_pinpoints": [[32, 64], [96, 32]], "do_pad": false,
      "do_center_crop": true, "image_mean": [0.5, 0.5, 0.5], "do_rescale": false})");
  CHECK(custom.shortest_edge == 0);
  CHECK(custom.base_height == 48);
  CHECK(custom.base_width == 40);
  CHECK(custom.crop_height == 32);
  CHECK(custom.grid_pinpoints == Pinpoints{{32, 64}, {96, 32}});
  CHECK_FALSE(custom.do_pad);
  CHECK_FALSE(custom.do_rescale);
  CHECK(custom.norm.mean[2] == 0.5f);
  // Without the center crop the base size must be the crop's.
  CHECK(parse(R"({"image_processor_type": "LlavaNextImageProcessor", "size": 32, "crop_size": 32,
                  "image_grid_pinpoints": [[32, 64]], "do_center_crop": false})")
            .crop_height == 32);

  const std::string type = R"("image_processor_type": "LlavaNextImageProcessor", )";
  const std::string good = R"("size": 336, "crop_size": 336)";
  for (const auto& [text, key] : std::vector<std::pair<std::string, std::string>>{
           // transformers' defaults alone: crop 224 under pinpoints of 336 (partial tiles).
           {"{" + type + R"("size": 224})", "image_grid_pinpoints"},
           {"{" + type + good + R"(, "image_grid_pinpoints": [[336, 600]]})", "image_grid_pinpoints"},
           {"{" + type + good + R"(, "image_grid_pinpoints": [[336]]})", "image_grid_pinpoints"},
           {"{" + type + good + R"(, "image_grid_pinpoints": []})", "image_grid_pinpoints"},
           {"{" + type + good + R"(, "image_grid_pinpoints": [[-336, 336]]})", "image_grid_pinpoints"},
           {"{" + type + R"("size": 336, "crop_size": {"height": 336, "width": 300}})", "crop_size"},
           {"{" + type + R"("size": {"shortest_edge": 336, "longest_edge": 672}, "crop_size": 336})", "size"},
           {"{" + type + R"("size": 300, "crop_size": 336, "do_center_crop": false})", "do_center_crop"},
           {"{" + type + good + R"(, "resample": 2})", "resample"},
           {"{" + type + good + R"(, "do_convert_rgb": false})", "do_convert_rgb"}}) {
    INFO(text);
    const Error e = expect_error([&, text = text] { parse(text); });
    CHECK(e.key() == key);
    CHECK(std::string(e.what()).find("preprocessor_config.json") != std::string::npos);
  }
}

TEST_CASE("a model folder's LLaVA-NeXT processor is loaded whatever the tower's image_size",
          "[data][image][llava_next]") {
  TempDir dir;
  write(dir.file("processor_config.json"), R"({"image_processor": {"image_processor_type": "LlavaNextImageProcessor",
      "size": {"shortest_edge": 336}, "crop_size": {"height": 336, "width": 336},
      "image_grid_pinpoints": [[336, 672], [672, 336]]}})");
  const ImageProcessor p = load_image_processor(dir.path(), 32, false);
  CHECK(p.kind == ImageProcessor::Kind::llava_next);
  CHECK(p.crop_height == 336);
  CHECK(p.grid_pinpoints == Pinpoints{{336, 672}, {672, 336}});
  // The qwen2_vl kind's layout is its patch grid.
  const ImageProcessor qwen = qwen_defaults();
  const ImageProcessor::PatchGrid grid = qwen.patch_grid(97, 61);
  CHECK(qwen.layout(97, 61) == std::array<int64_t, 3>{grid.t, grid.h, grid.w});
}

// Idefics2's processor. The expected sizes follow from get_resize_output_image_size's
// definition (longest_edge cap keeping the aspect, int() truncation, each side raised to
// shortest_edge); tests/data/test_idefics2_processor.py holds the numbers and pixels
// against transformers' Idefics2ImageProcessorPil and Pillow.

namespace {

ImageProcessor idefics2_parse(const std::string& text) {
  return ImageProcessor::parse(text, "preprocessor_config.json");
}

}  // namespace

TEST_CASE("Idefics2ImageProcessor settings are read, and what it cannot follow refused", "[data][image][idefics2]") {
  // Its defaults where a folder names the type alone.
  const ImageProcessor defaults = idefics2_parse(R"({"image_processor_type": "Idefics2ImageProcessor"})");
  CHECK(defaults.kind == ImageProcessor::Kind::idefics2);
  CHECK(defaults.shortest_edge == 378);
  CHECK(defaults.longest_edge == 980);
  CHECK(defaults.base_height == 0);
  CHECK_FALSE(defaults.do_image_splitting);
  CHECK(defaults.do_pad);
  CHECK(defaults.norm.mean == kStandardPixelNorm.mean);
  CHECK(defaults.norm.std == kStandardPixelNorm.std);
  // The model-side settings keep their documented defaults until the family sets them.
  CHECK(defaults.patch_size == 14);
  CHECK(defaults.image_seq_len == 64);
  // HuggingFaceM4/idefics2-8b's preprocessor_config.json, in each of the type's names.
  for (const char* type : {"Idefics2ImageProcessor", "Idefics2ImageProcessorFast", "Idefics2ImageProcessorPil"}) {
    INFO(type);
    const ImageProcessor p = idefics2_parse(std::string(R"({"image_processor_type": ")") + type + R"(",
        "do_convert_rgb": true, "do_image_splitting": true, "do_normalize": true, "do_pad": false,
        "do_rescale": true, "do_resize": true, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
        "processor_class": "Idefics2Processor", "resample": 2, "rescale_factor": 0.00392156862745098,
        "size": {"longest_edge": 700, "shortest_edge": 300}})");
    CHECK(p.kind == ImageProcessor::Kind::idefics2);
    CHECK(p.do_image_splitting);
    CHECK_FALSE(p.do_pad);
    CHECK(p.shortest_edge == 300);
    CHECK(p.longest_edge == 700);
  }
  // size {height, width}: a fixed size for every crop.
  const ImageProcessor fixed = idefics2_parse(R"({"image_processor_type": "Idefics2ImageProcessor",
      "size": {"height": 70, "width": 98}, "image_mean": [0.1, 0.2, 0.3]})");
  CHECK(fixed.shortest_edge == 0);
  CHECK(fixed.longest_edge == 0);
  CHECK(fixed.base_height == 70);
  CHECK(fixed.base_width == 98);
  CHECK(fixed.norm.mean[1] == 0.2f);
  CHECK(fixed.norm.std[1] == 0.5f);
  CHECK(fixed.idefics2_resize(5, 2000) == std::pair<int, int>{70, 98});

  const std::string type = R"("image_processor_type": "Idefics2ImageProcessor")";
  for (const auto& [text, key] : std::vector<std::pair<std::string, std::string>>{
           {"{" + type + R"(, "resample": 3})", "resample"},
           {"{" + type + R"(, "resample": 0})", "resample"},
           {"{" + type + R"(, "size": {"shortest_edge": 378}})", "size"},
           {"{" + type + R"(, "size": {"longest_edge": 980}})", "size"},
           {"{" + type + R"(, "size": 378})", "size"},
           {"{" + type + R"(, "size": {"height": 70}})", "size"},
           {"{" + type + R"(, "size": {"height": 0, "width": 70}})", "size"},
           {"{" + type + R"(, "size": {"shortest_edge": 378, "longest_edge": -1}})", "size"},
           {"{" + type + R"(, "size": {"shortest_edge": 378, "longest_edge": 980, "height": 5}})", "size"},
           {"{" + type + R"(, "do_image_splitting": "yes"})", "do_image_splitting"},
           {"{" + type + R"(, "do_convert_rgb": false})", "do_convert_rgb"},
           {"{" + type + R"(, "image_std": [0.5, 0.5]})", "image_std"},
           {R"({"image_processor_type": "Idefics3ImageProcessor"})", "image_processor_type"}}) {
    INFO(text);
    const Error e = expect_error([&, text = text] { idefics2_parse(text); });
    CHECK(e.key() == key);
    CHECK(std::string(e.what()).find("preprocessor_config.json") != std::string::npos);
  }
}

TEST_CASE("Idefics2's resize caps the longest edge, then raises each side to the shortest", "[data][image][idefics2]") {
  const ImageProcessor p = ImageProcessor::idefics2(14, 64, 378, 980, false);
  CHECK(p.idefics2_resize(500, 600) == std::pair<int, int>{500, 600});   // fits: kept
  CHECK(p.idefics2_resize(1000, 500) == std::pair<int, int>{980, 490});  // tall: width int(980 * 0.5)
  CHECK(p.idefics2_resize(500, 1999) == std::pair<int, int>{378, 980});  // int(980 / 3.998) = 245, raised
  CHECK(p.idefics2_resize(1000, 1000) == std::pair<int, int>{980, 980});
  CHECK(p.idefics2_resize(100, 50) == std::pair<int, int>{378, 378});  // each side raised on its own
  CHECK(p.idefics2_resize(3, 2000) == std::pair<int, int>{378, 980});  // int(1.47) = 1, raised
  CHECK(p.idefics2_resize(1100, 1300) == std::pair<int, int>{829, 980});
  ImageProcessor off = p;
  off.do_resize = false;
  CHECK(off.idefics2_resize(5, 7) == std::pair<int, int>{5, 7});
}

TEST_CASE("Idefics2's crops, layout rows, tokens and output shape agree with and without splitting",
          "[data][image][idefics2]") {
  for (const bool splitting : {false, true}) {
    const ImageProcessor p = ImageProcessor::idefics2(8, 7, 40, 100, splitting);
    for (const auto& [h, w] : {std::pair<int, int>{5, 7}, {97, 61}, {40, 900}, {333, 517}, {64, 64}}) {
      INFO(splitting << ", " << h << " x " << w);
      const Image image(w, h);
      const std::vector<Image> crops = idefics2_crops(image, p);
      const std::vector<std::array<int64_t, 3>> rows = p.layout_rows(h, w);
      REQUIRE(crops.size() == (splitting ? 5u : 1u));
      REQUIRE(rows.size() == crops.size());
      CHECK(p.image_tokens(h, w) == int64_t(crops.size()) * 7);
      int64_t patches = 0;
      for (size_t k = 0; k < crops.size(); ++k) {
        CHECK(rows[k] == std::array<int64_t, 3>{1, crops[k].height / 8, crops[k].width / 8});
        patches += rows[k][1] * rows[k][2];
      }
      // The whole image comes last, resized as idefics2_resize says.
      CHECK(std::pair<int, int>{crops.back().height, crops.back().width} == p.idefics2_resize(h, w));
      const std::vector<int64_t> shape = p.output_shape(image);
      CHECK(shape == std::vector<int64_t>{patches, 3 * 8 * 8});
      CHECK(int64_t(p(image).size()) == shape[0] * shape[1]);
    }
  }
  // The other kinds have one layout row, their layout.
  const ImageProcessor qwen = qwen_defaults();
  CHECK(qwen.layout_rows(97, 61) == std::vector<std::array<int64_t, 3>>{qwen.layout(97, 61)});
  const ImageProcessor next = ImageProcessor::llava_next({{8, 16}}, 8);
  CHECK(next.layout_rows(9, 20) == std::vector<std::array<int64_t, 3>>{next.layout(9, 20)});
}

TEST_CASE("Idefics2's patches: the quarters then the whole, each patch by (channel, py, px)",
          "[data][image][idefics2]") {
  // 2-pixel patches, no resize, rescale or normalisation: each value is its pixel's byte.
  // A 5 x 7 image splits into quarters of 2 x 3, 2 x 4, 3 x 3 and 3 x 4 (the odd row and
  // column go to the bottom and right), each one full patch; the whole has 2 x 3 patches.
  ImageProcessor p = ImageProcessor::idefics2(2, 64, 378, 980, true);
  p.do_resize = p.do_rescale = p.do_normalize = false;
  const int P = 2, height = 5, width = 7;
  auto byte = [](int x, int y, int c) { return uint8_t((x * 7 + y * 31 + c * 101) % 256); };
  Image image(width, height);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c) image.at(x, y)[c] = byte(x, y, c);
  CHECK(p.layout_rows(height, width) ==
        std::vector<std::array<int64_t, 3>>{{1, 1, 1}, {1, 1, 2}, {1, 1, 1}, {1, 1, 2}, {1, 2, 3}});
  struct Patch {
    int top, left;  ///< its first pixel in the image
  };
  // Quarter origins (0, 0), (0, 3), (2, 0), (2, 3); the whole's 2 x 3 patches row by row.
  const std::vector<Patch> expected = {{0, 0}, {0, 3}, {0, 5}, {2, 0}, {2, 3}, {2, 5},
                                       {0, 0}, {0, 2}, {0, 4}, {2, 0}, {2, 2}, {2, 4}};
  const std::vector<float> out = p(image);
  const int dim = 3 * P * P;
  REQUIRE(out.size() == expected.size() * size_t(dim));
  CHECK(p.output_shape(image) == std::vector<int64_t>{int64_t(expected.size()), dim});
  int wrong = 0;
  for (size_t n = 0; n < expected.size(); ++n)
    for (int d = 0; d < dim; ++d) {
      const int c = d / (P * P), py = (d / P) % P, px = d % P;
      if (out[n * size_t(dim) + size_t(d)] != float(byte(expected[n].left + px, expected[n].top + py, c))) ++wrong;
    }
  CHECK(wrong == 0);
  // idefics2_crops gives the same crops as 8-bit images: the whole last, a copy.
  const std::vector<Image> crops = idefics2_crops(image, p);
  REQUIRE(crops.size() == 5);
  CHECK(crops[4].rgb == image.rgb);
  CHECK(crops[1].width == 4);
  CHECK(crops[1].at(0, 1)[2] == byte(3, 1, 2));
}

TEST_CASE("Idefics2 refuses a crop without a full patch, and an image too small to split", "[data][image][idefics2]") {
  ImageProcessor p = ImageProcessor::idefics2(14, 64, 378, 980, false);
  p.do_resize = false;
  const Image small(30, 10);
  for (const auto& call :
       std::vector<std::function<void()>>{[&] { p.output_shape(small); }, [&] { p(small); },
                                          [&] { p.layout_rows(10, 30); }, [&] { p.image_tokens(10, 30); }}) {
    const Error e = expect_error(call);
    CHECK(e.key() == "patch_size");
    CHECK(e.message().find("10 x 30") != std::string::npos);
  }
  CHECK(p.layout_rows(14, 30) == std::vector<std::array<int64_t, 3>>{{1, 1, 2}});
  // Splitting: a 28 x 30 image's quarters are 14 x 15, one patch each; a 27-row one's top
  // quarters are 13 rows, none.
  p.do_image_splitting = true;
  CHECK(p.layout_rows(28, 30).size() == 5);
  CHECK(expect_error([&] { p.layout_rows(27, 30); }).message().find("13 x 15") != std::string::npos);
  // With the resize, a shortest_edge under the patch can leave a crop without one.
  const ImageProcessor tiny = ImageProcessor::idefics2(14, 64, 10, 20, false);
  CHECK(expect_error([&] { tiny.image_tokens(5, 7); }).key() == "patch_size");
  CHECK(expect_error([&] { tiny.layout_rows(100, 10); }).message().find("20 x 10") != std::string::npos);
  // A side of 1 leaves quarters empty (transformers fails there): refused naming the size.
  const ImageProcessor split = ImageProcessor::idefics2(14, 64, 378, 980, true);
  const Error one = expect_error([&] { split.layout_rows(1, 50); });
  CHECK(one.key() == "image size");
  CHECK(one.message().find("1 x 50") != std::string::npos);
  CHECK(expect_error([&] { split(Image(0, 5)); }).key() == "image size");
}

TEST_CASE("PIL's bilinear resize: copies, interpolates and keeps a flat image flat", "[data][image][idefics2]") {
  // [0, 255] to 4 pixels: Pillow's taps (support 1, centres 0.25 ... 1.75) give 0,
  // 63.75 -> 64, 191.25 -> 191 and 255 in its fixed point.
  Image two(2, 1);
  for (int c = 0; c < 3; ++c) two.at(1, 0)[c] = 255;
  const Image four = resize_bilinear_pil(two, 4, 1);
  CHECK(std::vector<int>{four.at(0, 0)[0], four.at(1, 0)[0], four.at(2, 0)[0], four.at(3, 0)[0]} ==
        std::vector<int>{0, 64, 191, 255});
  Image flat(37, 23);
  std::fill(flat.rgb.begin(), flat.rgb.end(), uint8_t(117));
  for (const auto& [w, h] : {std::pair<int, int>{5, 90}, {80, 3}, {37, 23}, {300, 200}}) {
    const Image out = resize_bilinear_pil(flat, w, h);
    CHECK(out.width == w);
    CHECK(out.height == h);
    CHECK(std::all_of(out.rgb.begin(), out.rgb.end(), [](uint8_t v) { return v == 117; }));
  }
}
