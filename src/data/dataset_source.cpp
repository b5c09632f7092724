#include "data/dataset_source.h"

#include "common/error.h"

namespace clear_sweep {

SynthOptions synth_options(const DataSpec& spec) {
  SynthOptions o;
  o.persons = spec.persons;
  o.images_per_person = spec.images_per_person;
  o.seed = spec.seed;
  return o;
}

SynthMllmuOptions synth_mllmu_options(const DataSpec& spec) {
  SynthMllmuOptions o;
  o.world = synth_options(spec);
  o.celebrities = spec.celebrities;
  return o;
}

SynthTofuOptions synth_tofu_options(const DataSpec& spec) {
  SynthTofuOptions o;
  o.world = synth_options(spec);
  o.real_authors = spec.celebrities;
  return o;
}

LoadedData load_data(const DataSpec& spec) {
  LoadedData out;
  if (spec.source == DataSource::synthetic) {
    SynthWorld world = spec.is_mllmu()  ? synth_mllmu_world(synth_mllmu_options(spec))
                       : spec.is_tofu() ? synth_tofu_world(synth_tofu_options(spec))
                                        : synth_world(synth_options(spec));
    out.dataset = std::move(world.dataset);
    out.dataset.index_persons();
    for (auto& [path, image] : world.images) out.images.emplace(path, std::move(image));
  } else {
    out.dataset = load_dataset(spec.path, LoadOptions{}, &out.images);
    if (out.dataset.benchmark != spec.benchmark)
      throw Error(SourceLocation{out.dataset.manifest_path()}, "benchmark",
                  "the dataset is " + out.dataset.benchmark + "'s, the sweep's [data] says " + spec.benchmark,
                  "set [data] benchmark = \"" + out.dataset.benchmark + "\" or give the other dataset");
  }
  return out;
}

}  // namespace clear_sweep
