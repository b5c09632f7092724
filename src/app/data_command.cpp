#include "app/data_command.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/clock.h"
#include "common/exit_codes.h"
#include "common/progress_bar.h"
#include "data/dataset_io.h"
#include "data/dataset_stats.h"

namespace clear_sweep {

int data_synth_command(const DataSynthOptions& options, std::ostream& out) {
  const auto start = std::chrono::steady_clock::now();
  SynthWorld world;
  {
    std::optional<ProgressBar> bar;  // on stderr: persons made (their faces rendered)
    const auto on_person = [&](int64_t done, int64_t total) {
      if (!bar) bar.emplace(std::cerr, "synth persons", total, stderr_is_terminal());
      bar->update(done);
    };
    if (options.benchmark == "mllmu") {
      SynthMllmuOptions mllmu;
      mllmu.world = options.world;
      mllmu.celebrities = options.world.celebrities;
      world = synth_mllmu_world(mllmu, on_person);
    } else if (options.benchmark == "tofu") {
      SynthTofuOptions tofu;
      tofu.world = options.world;
      tofu.real_authors = options.world.celebrities;
      tofu.world_facts = options.world.objects;
      world = synth_tofu_world(tofu, on_person);
    } else {
      world = synth_world(options.world, on_person);
    }
  }
  {
    ProgressBar bar(std::cerr, "write images", int64_t(world.images.size()), stderr_is_terminal());
    write_dataset(world.dataset, world.images, options.out_dir, [&](int64_t done, int64_t) { bar.update(done); });
  }
  const double seconds = seconds_since(start);
  int64_t qa = 0, images = 0;
  for (const auto& p : world.dataset.persons) {
    qa += int64_t(p.qa.size());
    images += int64_t(p.images.size());
  }
  char line[256];
  std::snprintf(line, sizeof line,
                "wrote %s: %zu persons (%zu trained, %zu holdout), %lld text QA, %lld person images, "
                "%zu real faces, %zu real-world items in %.1f s\n",
                options.out_dir.c_str(), world.dataset.persons.size(), world.dataset.splits.forget_order.size(),
                world.dataset.splits.holdout.size(), (long long)qa, (long long)images, world.dataset.real_faces.size(),
                world.dataset.real_world.size(), seconds);
  out << line;
  if (world.dataset.is_mllmu()) {
    size_t count[3] = {0, 0, 0};
    for (const auto& q : world.dataset.mllmu) ++count[size_t(q.role)];
    out << "MLLMU-Bench: " << count[size_t(MllmuRole::train)] << " training pairs, " << count[size_t(MllmuRole::eval)]
        << " questions, " << count[size_t(MllmuRole::test)] << " Test_Set questions, "
        << world.dataset.splits.celebrity.size() << " celebrities\n";
  }
  if (world.dataset.is_tofu())
    out << "TOFU: " << world.dataset.real_authors.size() << " real_authors and " << world.dataset.real_world.size()
        << " world_facts questions\n";
  return kExitOk;
}

int data_stats_command(const DataStatsOptions& options, std::ostream& out) {
  const Dataset ds = load_dataset(options.dir);
  const auto rows = dataset_counts(ds);
  const std::string digest = options.digest ? folder_digest(options.dir) : std::string();
  if (options.format == OutputFormat::json) {
    nlohmann::ordered_json j;
    j["dataset"] = options.dir;
    j["source"] = ds.source;
    j["valid"] = true;
    if (!digest.empty()) j["sha256"] = digest;
    if (ds.is_mllmu() || ds.is_tofu()) j["benchmark"] = ds.benchmark;
    for (const auto& r : rows) {
      j["splits"][r.split] = {
          {"persons", r.persons}, {"text_qa", r.text_qa}, {"images", r.images}, {"option_qa", r.option_qa}};
      if (ds.is_mllmu()) {
        j["splits"][r.split]["mllmu_train"] = r.mllmu_train;
        j["splits"][r.split]["mllmu_questions"] = r.mllmu_eval;
        j["splits"][r.split]["mllmu_test"] = r.mllmu_test;
      }
    }
    out << j.dump(2) << "\n";
    return kExitOk;
  }
  out << options.dir << ": valid " << ds.source << " dataset\n";
  for (const auto& [key, value] : ds.provenance) out << "  " << key << " = " << value << "\n";
  if (!digest.empty()) out << "  sha256 = " << digest << "\n";
  char line[160];
  if (ds.is_mllmu()) {  // MLLMU-Bench's items by role: ft_Data pairs, split questions, Test_Set
    std::snprintf(line, sizeof line, "%-12s %8s %8s %10s %8s\n", "split", "persons", "train", "questions", "test");
    out << line;
    for (const auto& r : rows) {
      if (r.split == "real_faces" || r.split == "real_world") continue;
      std::snprintf(line, sizeof line, "%-12s %8lld %8lld %10lld %8lld\n", r.split.c_str(), (long long)r.persons,
                    (long long)r.mllmu_train, (long long)r.mllmu_eval, (long long)r.mllmu_test);
      out << line;
    }
    return kExitOk;
  }
  std::snprintf(line, sizeof line, "%-12s %8s %8s %8s %9s\n", "split", "persons", "text_qa", "images", "option_qa");
  out << line;
  for (const auto& r : rows) {
    std::snprintf(line, sizeof line, "%-12s %8lld %8lld %8lld %9lld\n", r.split.c_str(), (long long)r.persons,
                  (long long)r.text_qa, (long long)r.images, (long long)r.option_qa);
    out << line;
  }
  return kExitOk;
}

}  // namespace clear_sweep
