// `clear-sweep data synth` (write the synthetic world) and `clear-sweep data stats`
// (validate a dataset folder and count it per split).
#pragma once

#include <ostream>
#include <string>

#include "app/plan_command.h"
#include "data/synth_mllmu.h"
#include "data/synth_tofu.h"

namespace clear_sweep {

struct DataSynthOptions {
  std::string out_dir;
  SynthOptions world;
  std::string benchmark = "clear";  ///< "mllmu" (data/synth_mllmu.h) or "tofu" (data/synth_tofu.h)
};
int data_synth_command(const DataSynthOptions& options, std::ostream& out);

struct DataStatsOptions {
  std::string dir;
  OutputFormat format = OutputFormat::text;
  bool digest = false;
};
int data_stats_command(const DataStatsOptions& options, std::ostream& out);

}  // namespace clear_sweep
