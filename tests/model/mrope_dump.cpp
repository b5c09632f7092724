// Reads M-RoPE cases as JSON from stdin (rows of ids and masks, the image token, each
// row's image grids, the merge size), writes clear-sweep's positions and deltas (or the
// error) to stdout, for test_mrope_positions.py to hold against transformers'
// Qwen2-VL get_rope_index.
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "model/qwen2_vl/mrope_positions.h"

using namespace clear_sweep;

int main() {
  const nlohmann::json in = nlohmann::json::parse(std::cin);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : in) {
    nlohmann::json rows = nlohmann::json::array();
    try {
      for (size_t r = 0; r < c.at("ids").size(); ++r) {
        std::vector<ImageGrid> grids;
        for (const auto& g : c.at("grids").at(r)) grids.push_back({g.at(0), g.at(1), g.at(2)});
        const MropePositions p = mrope_positions(
            c.at("ids").at(r).get<std::vector<int32_t>>(), c.at("mask").at(r).get<std::vector<uint8_t>>(),
            c.at("image_token").get<int32_t>(), grids, c.at("merge").get<int64_t>());
        rows.push_back({{"positions", {p.rows[0], p.rows[1], p.rows[2]}}, {"delta", p.delta}});
      }
      out.push_back({{"rows", rows}});
    } catch (const Error& e) {
      out.push_back({{"error", e.key()}});
    }
  }
  std::cout << out.dump() << "\n";
  return 0;
}
