// A dataset in memory: persons with their QA and images, the real-knowledge sets, and
// the splits. Loaded from (or written to) the on-disk format of dataset_io.h.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "data/schema.h"
#include "data/splits.h"

namespace clear_sweep {

/// The on-disk format's version; the loader refuses others.
inline constexpr int kDatasetSchemaVersion = 1;

struct Dataset {
  std::string root;    ///< the dataset folder; image paths are relative to it
  std::string source;  ///< "synthetic" or "clear"
  /// How it was made (generator parameters, export origin), kept in the manifest.
  std::vector<std::pair<std::string, std::string>> provenance;
  std::vector<Person> persons;
  std::vector<OptionQA> real_faces;
  std::vector<OptionQA> real_world;    ///< TOFU: its world_facts (text)
  std::vector<OptionQA> real_authors;  ///< TOFU's real_authors (text); empty for other benchmarks
  /// "clear", "mllmu" or "tofu": which benchmark's items the persons are asked
  /// (data/items.h) and which metrics score them.
  std::string benchmark = "clear";
  std::vector<MllmuItem> mllmu;  ///< MLLMU-Bench's questions (benchmark "mllmu")
  Splits splits;

  bool is_mllmu() const { return benchmark == "mllmu"; }
  /// TOFU (arXiv 2401.06121): authors without images, real_authors and world_facts.
  bool is_tofu() const { return benchmark == "tofu"; }

  /// The person with this id; CS_ASSERT on an unknown id (ids are validated on load).
  const Person& person(int64_t id) const;
  /// Rebuilds the id -> index map after persons change.
  void index_persons();
  std::string manifest_path() const { return root + "/manifest.json"; }
  /// What errors about its splits name: the manifest, or the synthetic world made in
  /// memory (it has no folder).
  std::string source_name() const { return root.empty() ? std::string("synthetic world") : manifest_path(); }

 private:
  std::unordered_map<int64_t, size_t> index_;
};

/// The persons a job of one forget fraction forgets and keeps: worked out once per job
/// and handed to everything that needs them (unlearning, evaluation, attacks).
struct JobPersons {
  std::vector<int64_t> forget, retain;
};
JobPersons job_persons(const Dataset& dataset, double forget_fraction);

}  // namespace clear_sweep
