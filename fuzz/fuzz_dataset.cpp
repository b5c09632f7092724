// A dataset folder's manifest and JSONL records: the input's first byte picks a file of
// a small valid CLEAR or MLLMU-Bench folder, the rest replaces that file, and the
// folder is loaded and validated (then the file is put back).
#include <algorithm>
#include <filesystem>
#include <vector>

#include "data/dataset_io.h"
#include "data/synth_mllmu.h"
#include "data/synth_world.h"
#include "fuzz_support.h"

namespace {

struct Folder {
  std::string dir;
  std::vector<std::string> files;     ///< the manifest and record files, by name
  std::vector<std::string> original;  ///< their bytes
};
std::vector<Folder> folders;
std::vector<std::pair<size_t, size_t>> choices;  ///< (folder, file), in selector order

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void add_folder(const clear_sweep::SynthWorld& world, const std::string& name) {
  Folder f;
  f.dir = clear_sweep::fuzz::scratch_dir() + "/" + name;
  clear_sweep::write_dataset(world.dataset, world.images, f.dir);
  for (const auto& e : std::filesystem::directory_iterator(f.dir))
    if (e.is_regular_file()) f.files.push_back(e.path().filename().string());
  std::sort(f.files.begin(), f.files.end());
  for (const auto& file : f.files) f.original.push_back(read_all(f.dir + "/" + file));
  for (size_t i = 0; i < f.files.size(); ++i) choices.emplace_back(folders.size(), i);
  folders.push_back(std::move(f));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  clear_sweep::SynthOptions o;
  o.persons = 4;
  o.images_per_person = 1;
  o.holdout = 2;
  o.celebrities = 4;
  o.images_per_celebrity = 1;
  o.objects = 4;
  o.image_size = 16;
  o.seed = 1;
  add_folder(clear_sweep::synth_world(o), "clear");
  clear_sweep::SynthMllmuOptions m;
  m.world = o;
  m.celebrities = 4;
  add_folder(clear_sweep::synth_mllmu_world(m), "mllmu");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto [folder_index, file_index] = choices[data[0] % choices.size()];
  const Folder& f = folders[folder_index];
  const std::string path = f.dir + "/" + f.files[file_index];
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data) + 1, std::streamsize(size - 1));
  clear_sweep::LoadOptions options;
  options.verify_images = false;  // image bytes are fuzz_image's
  clear_sweep::fuzz::expect_clear_error([&] { clear_sweep::load_dataset(f.dir, options); });
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(f.original[file_index].data(), std::streamsize(f.original[file_index].size()));
  return 0;
}
