#include "model/qwen2_vl/mrope_positions.h"

#include <algorithm>
#include <string>

#include "common/error.h"

namespace clear_sweep {

MropePositions mrope_positions(const std::vector<int32_t>& ids, const std::vector<uint8_t>& mask, int32_t image_token,
                               const std::vector<ImageGrid>& grids, int64_t spatial_merge) {
  CS_ASSERT(ids.size() == mask.size(), "ids and mask of one row differ in length");
  CS_ASSERT(spatial_merge > 0, "spatial_merge_size must be positive");
  MropePositions out;
  for (auto& row : out.rows) row.assign(ids.size(), 0);  // padding stays at 0
  int64_t next = 0, highest = -1;
  const int64_t real = std::count_if(mask.begin(), mask.end(), [](uint8_t m) { return m != 0; });
  size_t image = 0;
  auto put = [&](size_t at, int64_t t, int64_t h, int64_t w) {
    out.rows[0][at] = t, out.rows[1][at] = h, out.rows[2][at] = w;
    highest = std::max({highest, t, h, w});
  };
  size_t i = 0;
  while (i < ids.size()) {
    if (!mask[i]) {
      ++i;
      continue;
    }
    if (ids[i] != image_token) {
      put(i++, next, next, next);
      ++next;
      continue;
    }
    // A run of image tokens: the next image's merged grid, in (t, h, w) order.
    if (image >= grids.size())
      throw Error(SourceLocation{}, "image_grid_thw",
                  "more runs of image tokens than images (" + std::to_string(grids.size()) + ")");
    const ImageGrid& g = grids[image++];
    const int64_t gh = g.h / spatial_merge, gw = g.w / spatial_merge;
    const int64_t tokens = g.t * gh * gw;
    int64_t placed = 0;
    for (int64_t t = 0; t < g.t; ++t)
      for (int64_t h = 0; h < gh; ++h)
        for (int64_t w = 0; w < gw; ++w) {
          while (i < ids.size() && !mask[i]) ++i;  // padding inside a run is skipped, as transformers drops it
          if (i >= ids.size() || ids[i] != image_token)
            throw Error(SourceLocation{}, "image_grid_thw",
                        "image " + std::to_string(image - 1) + " has " + std::to_string(placed) +
                            " image tokens where its grid needs " + std::to_string(tokens));
          ++placed;
          put(i++, next + t, next + h, next + w);
        }
    next += std::max(gh, gw);
  }
  if (image != grids.size())
    throw Error(SourceLocation{}, "image_grid_thw",
                std::to_string(grids.size()) + " images and " + std::to_string(image) + " runs of image tokens");
  out.delta = highest + 1 - real;
  return out;
}

}  // namespace clear_sweep
