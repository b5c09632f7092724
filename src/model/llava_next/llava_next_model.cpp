#include "model/llava_next/llava_next_model.h"

#include <cmath>
#include <string>
#include <vector>

#include "common/error.h"
#include "data/image_processor.h"
#include "model/image_placeholders.h"
#include "model/parameter_factory.h"

namespace clear_sweep {

LlavaNextImpl::LlavaNextImpl(const ModelConfig& config) : LlavaImpl(config) {
  CS_ASSERT(!config.vision.anyres_pinpoints.empty(), "LLaVA-NeXT without image_grid_pinpoints");
  CS_ASSERT(!config.vision.keep_class_token, "LLaVA-NeXT's tiles lay out without a class token");
  image_newline = register_parameter(
      "image_newline",
      make_parameter({config.text.hidden}, ParameterInit::normal(1.0 / std::sqrt(config.text.hidden))));
}

torch::Tensor unpad_features(const torch::Tensor& features, int64_t height, int64_t width) {
  const int64_t rows = features.size(1), columns = features.size(2);
  auto rounded = [](double x) { return int_round7(x); };  // transformers' int(round(x, 7))
  if (double(width) / double(height) > double(columns) / double(rows)) {
    const int64_t kept = rounded(double(height) * (double(columns) / double(width)));
    const int64_t padding = (rows - kept) / 2;
    return features.narrow(1, padding, rows - 2 * padding);
  }
  const int64_t kept = rounded(double(width) * (double(rows) / double(height)));
  const int64_t padding = (columns - kept) / 2;
  return features.narrow(2, padding, columns - 2 * padding);
}

torch::Tensor LlavaNextImpl::embed(const ModelInputs& in) {
  const bool has_images = in.images.defined() && in.images.size(0) > 0;
  return embed_with_images(language_model->model->embed_tokens, in.input_ids, config().image_token_id, has_images,
                           [&] { return image_features(in); });
}

torch::Tensor LlavaNextImpl::image_features(const ModelInputs& in) {
  CS_ASSERT(in.image_grids.defined(), "LLaVA-NeXT images without their tile counts and sizes");
  const torch::Tensor tiles = multi_modal_projector(vision_tower(in.images));  // [tiles, s*s, D]
  const VisionConfig& v = config().vision;
  const int64_t side = v.image_size / v.patch_size, d = tiles.size(-1);
  const torch::Tensor layout = in.image_grids.to(torch::kCPU, torch::kLong).contiguous();  // [N, 3]
  const int64_t* rows = layout.data_ptr<int64_t>();
  const torch::Tensor newline_row = image_newline.to(tiles.scalar_type());  // [D]
  std::vector<torch::Tensor> images;
  int64_t at = 0;
  for (int64_t i = 0; i < layout.size(0); ++i) {
    const int64_t count = rows[3 * i], height = rows[3 * i + 1], width = rows[3 * i + 2];
    const torch::Tensor mine = tiles.narrow(0, at, count);  // [count, s*s, D]
    at += count;
    const torch::Tensor base = mine[0];  // [s*s, D]
    if (count == 1) {
      images.push_back(torch::cat({base, newline_row.unsqueeze(0)}));
      continue;
    }
    // The tiles' grid at the pinpoint the processor chose for this image.
    const auto [best_height, best_width] = select_best_resolution(int(height), int(width), v.anyres_pinpoints);
    const int64_t grid_rows = best_height / v.image_size, grid_columns = best_width / v.image_size;
    CS_ASSERT(grid_rows * grid_columns == count - 1, "an image's tiles do not fill its grid pinpoint");
    torch::Tensor map = mine.narrow(0, 1, count - 1)
                            .reshape({grid_rows, grid_columns, side, side, d})
                            .permute({4, 0, 2, 1, 3})
                            .reshape({d, grid_rows * side, grid_columns * side});  // [D, rows, columns]
    map = unpad_features(map, height, width);
    map = torch::cat({map, newline_row.view({d, 1, 1}).expand({d, map.size(1), 1})}, 2);  // [D, rows, columns + 1]
    images.push_back(torch::cat({base, map.flatten(1).t()}));
  }
  CS_ASSERT(at == tiles.size(0), "more tiles than the images' layouts account for");
  return torch::cat(images);  // [tokens of all images, D]
}

}  // namespace clear_sweep
