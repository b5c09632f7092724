// The on-disk dataset format (docs/dataset-format.md): a folder with manifest.json, five
// JSONL files and the image files they name. `data synth` and scripts/export_clear.py
// write it; load_dataset reads and validates it.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "data/dataset.h"
#include "data/image.h"

namespace clear_sweep {

/// File names inside a dataset folder.
namespace dataset_files {
inline constexpr const char* manifest = "manifest.json";
inline constexpr const char* persons = "persons.jsonl";
inline constexpr const char* text_qa = "text_qa.jsonl";
inline constexpr const char* images = "images.jsonl";
inline constexpr const char* real_faces = "real_faces.jsonl";
inline constexpr const char* real_world = "real_world.jsonl";
/// MLLMU-Bench's questions; present when the manifest's benchmark is "mllmu".
inline constexpr const char* mllmu = "mllmu.jsonl";
/// TOFU's real_authors; present when the manifest's benchmark is "tofu" (its
/// world_facts are real_world.jsonl).
inline constexpr const char* real_authors = "real_authors.jsonl";
}  // namespace dataset_files

/// Image pixels by the path the records use.
using ImageTable = std::unordered_map<std::string, Image>;

/// Writes `dataset` and its image files as a new folder `dir`. The folder must not exist
/// or be empty: nothing is ever overwritten. Written under a temporary name and renamed
/// into place, so an interrupted write leaves no half dataset behind.
/// `on_image` sees each image file written of all.
void write_dataset(const Dataset& dataset, const std::vector<std::pair<std::string, Image>>& images,
                   const std::string& dir, const std::function<void(int64_t done, int64_t total)>& on_image = {});

struct LoadOptions {
  /// Decode every image (catches truncated and non-image files). Off: only check that
  /// each file exists.
  bool verify_images = true;
  /// With `images` given to load_dataset: keep pixels resized to this square size
  /// (0 = as stored).
  int image_size = 0;
};

/// Reads and validates a dataset folder. Every problem is an Error naming the file and
/// line (and field) at fault: a missing file, a line that is not JSON or lacks a field,
/// an image path that leaves the folder, an unreadable image, inconsistent splits.
Dataset load_dataset(const std::string& dir, const LoadOptions& options = {}, ImageTable* images = nullptr);

}  // namespace clear_sweep
