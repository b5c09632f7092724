// The dataset a sweep names in [data]: the synthetic world (generated in memory, the same
// bytes `data synth` writes) or a dataset folder (real CLEAR after export).
#pragma once

#include "data/dataset.h"
#include "data/dataset_io.h"
#include "data/synth_mllmu.h"
#include "data/synth_tofu.h"
#include "data/synth_world.h"
#include "sweep/sweep_spec.h"

namespace clear_sweep {

struct LoadedData {
  Dataset dataset;
  ImageTable images;  ///< every image, decoded
};

/// The synthetic world's options for a [data] section.
SynthOptions synth_options(const DataSpec& spec);

/// The synthetic MLLMU-Bench world's options for a [data] section of benchmark "mllmu".
SynthMllmuOptions synth_mllmu_options(const DataSpec& spec);

/// The synthetic TOFU world's options for a [data] section of benchmark "tofu".
SynthTofuOptions synth_tofu_options(const DataSpec& spec);

/// The dataset of a [data] section. Throws Error (key benchmark) when a folder's
/// manifest names another benchmark than [data] does.
LoadedData load_data(const DataSpec& spec);

}  // namespace clear_sweep
