// A small synthetic world written to a temporary folder, shared by the data tests.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include "data/dataset_io.h"
#include "data/synth_world.h"
#include "test_support.h"

namespace clear_sweep::testing {

/// Options of a world small enough to write and read in milliseconds.
inline SynthOptions small_world_options(int64_t seed = 3) {
  SynthOptions o;
  o.persons = 10;
  o.images_per_person = 3;
  o.holdout = 2;
  o.celebrities = 4;
  o.images_per_celebrity = 1;
  o.objects = 5;
  o.image_size = 32;
  o.seed = seed;
  return o;
}

/// Writes a world into `tmp`/`name` and returns the folder.
inline std::string write_small_world(const TempDir& tmp, const std::string& name = "world",
                                     const SynthOptions& options = small_world_options()) {
  const auto world = synth_world(options);
  const std::string dir = tmp.file(name);
  write_dataset(world.dataset, world.images, dir);
  return dir;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

/// Replaces the first occurrence of `from` in a file; the test fails if it is absent.
inline void edit_file(const std::string& path, const std::string& from, const std::string& to) {
  std::string text = read_file(path);
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  write_file(path, text);
}

}  // namespace clear_sweep::testing
