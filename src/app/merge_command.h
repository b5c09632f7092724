// `clear-sweep merge OUT IN...`: one results file from several (the shards of a job
// array, runs on different clusters). One row per job id: a success wins over a
// failure, then the latest wins. Inputs of different experiments are refused unless
// --force; OUT must not exist (nothing is ever overwritten).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace clear_sweep {

struct MergeOptions {
  std::string out_path;
  std::vector<std::string> inputs;
  bool force = false;
};

int merge_command(const MergeOptions& options, std::ostream& out);

}  // namespace clear_sweep
