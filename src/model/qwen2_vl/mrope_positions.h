// Qwen2-VL's multimodal rotary positions (M-RoPE), as transformers' get_rope_index
// computes them (issue 35, the first piece of the family): three rows of positions
// (temporal, height, width) per token. Text tokens count up by one on all three rows;
// an image's <|image_pad|> tokens take its merged grid's (t, h, w), each offset by the
// position where the image starts; the text after an image continues from there plus
// max(h, w) / merge. Padding is left at 0 and skipped. Torch-free: the decoder turns the
// rows into its rotary angles.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace clear_sweep {

/// An image's patch grid before merging (image_grid_thw): temporal, height, width.
struct ImageGrid {
  int64_t t = 1, h = 0, w = 0;
};

/// One row's positions: [3][tokens] and its rope delta (max position + 1 - real tokens),
/// what generation adds to the plain positions of the tokens it appends.
struct MropePositions {
  std::array<std::vector<int64_t>, 3> rows;
  int64_t delta = 0;
};

/// The positions of one row. `ids` and `mask` (1: a real token, 0: padding) are the
/// row's; `grids` the row's images in order, each owning a run of `image_token` ids of
/// t * h * w / merge^2 tokens. Error (key "image_grid_thw") where the runs and the grids
/// do not match.
MropePositions mrope_positions(const std::vector<int32_t>& ids, const std::vector<uint8_t>& mask, int32_t image_token,
                               const std::vector<ImageGrid>& grids, int64_t spatial_merge);

}  // namespace clear_sweep
