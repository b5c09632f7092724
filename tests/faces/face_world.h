// A small synthetic world as face-recognition data, shared by the face tests: its
// images stay in memory (no disk).
#pragma once

#include <map>

#include "data/splits.h"
#include "data/synth_world.h"
#include "faces/face_images.h"

namespace clear_sweep::testing {

struct FaceWorld {
  SynthWorld world;
  FaceImages data;
  std::vector<int64_t> forget, retain, holdout;  ///< person ids
};

inline FaceWorld make_face_world(int64_t persons, int64_t images_per_person, double forget_fraction,
                                 int64_t image_size = 32, int64_t seed = 5, int64_t holdout = -1) {
  SynthOptions o;
  o.persons = persons;
  o.images_per_person = images_per_person;
  o.celebrities = 4;
  o.images_per_celebrity = 1;
  o.objects = 4;
  o.image_size = image_size;
  o.seed = seed;
  o.holdout = holdout;
  FaceWorld w;
  w.world = synth_world(o);
  std::map<std::string, const Image*> by_path;
  for (const auto& [path, image] : w.world.images) by_path[path] = &image;
  w.data = load_face_images(w.world.dataset, image_size, [&](const std::string& path) { return *by_path.at(path); });
  const auto& splits = w.world.dataset.splits;
  w.forget = forget_persons(splits, forget_fraction, "synthetic");
  w.retain = retain_persons(splits, forget_fraction, "synthetic");
  w.holdout = splits.holdout;
  return w;
}

}  // namespace clear_sweep::testing
