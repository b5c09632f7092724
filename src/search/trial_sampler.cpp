#include "search/trial_sampler.h"

#include <cstdlib>

#include "common/error.h"
#include "common/hash.h"
#include "search/sobol.h"

namespace clear_sweep {

double keyed_uniform(const std::string& key) {
  return double(std::strtoull(short_hash(key, 14).c_str(), nullptr, 16) >> 3) / double(1ull << 53);
}

TrialSampler::TrialSampler(SamplerKind kind, int64_t seed, std::string cell, std::map<std::string, Distribution> space)
    : kind_(kind), seed_(seed), cell_(std::move(cell)), space_(std::move(space)) {
  if (kind_ == SamplerKind::sobol) {
    if (int(space_.size()) > sobol_max_dimensions())
      throw Error({}, "search.sampler",
                  "sobol supports " + std::to_string(sobol_max_dimensions()) + " hyperparameters, the space has " +
                      std::to_string(space_.size()),
                  "use sampler = \"random\"");
    for (size_t d = 0; d < space_.size(); ++d)
      shifts_.push_back(
          uint32_t(keyed_uniform("sobol-shift|" + std::to_string(seed_) + "|" + cell_ + "|" + std::to_string(d)) *
                   4294967296.0));
  }
}

HParams TrialSampler::point(uint64_t j) const {
  HParams out;
  size_t d = 0;
  for (const auto& [name, dist] : space_) {  // name order: the dimensions never reorder
    const double u =
        kind_ == SamplerKind::sobol
            ? sobol_uniform(j, int(d), shifts_[d])
            : keyed_uniform("random|" + std::to_string(seed_) + "|" + cell_ + "|" + std::to_string(j) + "|" + name);
    out[name] = dist.at(u);
    ++d;
  }
  return out;
}

const HParams& TrialSampler::trial(int64_t index) {
  CS_ASSERT(index >= 0, "negative trial index");
  // A finite space was checked at plan time to hold the budget; this bounds the draws
  // made for a budget raised past it.
  const uint64_t max_points = 1000 * uint64_t(index + 1) + 100000;
  while (int64_t(trials_.size()) <= index) {
    if (next_point_ >= max_points)
      throw Error({}, "search.trials", "trial " + std::to_string(index) + " finds no setting not tried before",
                  "the space has fewer distinct points than the budget");
    HParams p = point(next_point_++);
    if (seen_.insert(hparams_text(p)).second) trials_.push_back(std::move(p));
  }
  return trials_[size_t(index)];
}

}  // namespace clear_sweep
