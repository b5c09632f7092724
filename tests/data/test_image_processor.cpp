// Where a model folder's image processor settings are read from: processor_config.json's
// "image_processor" (transformers 5) before preprocessor_config.json, as transformers
// resolves them; the stretch only where asked for (our presets' folders); a folder with
// neither is refused naming both files. tests/model/test_hf_score.py holds the numbers
// against transformers on such folders.
#include <fstream>

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
