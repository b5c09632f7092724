#include "data/dataset_source.h"

namespace clear_sweep {

SynthOptions synth_options(const DataSpec& spec) {
  SynthOptions o;
  o.persons = spec.persons;
  o.images_per_person = spec.images_per_person;
  o.seed = spec.seed;
  return o;
}

LoadedData load_data(const DataSpec& spec) {
  LoadedData out;
  if (spec.source == DataSource::synthetic) {
    SynthWorld world = synth_world(synth_options(spec));
    out.dataset = std::move(world.dataset);
    out.dataset.index_persons();
    for (auto& [path, image] : world.images) out.images.emplace(path, std::move(image));
  } else {
    out.dataset = load_dataset(spec.path, LoadOptions{}, &out.images);
  }
  return out;
}

}  // namespace clear_sweep
