#include "data/dataset.h"

#include "common/error.h"

namespace clear_sweep {

const Person& Dataset::person(int64_t id) const {
  const auto it = index_.find(id);
  CS_ASSERT(it != index_.end(), "unknown person id " + std::to_string(id));
  return persons[it->second];
}

void Dataset::index_persons() {
  index_.clear();
  for (size_t i = 0; i < persons.size(); ++i) index_[persons[i].id] = i;
}

JobPersons job_persons(const Dataset& dataset, double forget_fraction) {
  return {forget_persons(dataset.splits, forget_fraction, dataset.source_name()),
          retain_persons(dataset.splits, forget_fraction, dataset.source_name())};
}

}  // namespace clear_sweep
