// Procedural images for the synthetic world. A person has a stable identity signature
// (skin, hair, head shape, eyes, shirt colour and pattern, an accessory) drawn the same
// in every image; each image differs in background scene, where the person stands, the
// lighting, small jitter and pixel noise. The caption says the scene, position, lighting.
#pragma once

#include <cstdint>
#include <string>

#include "data/image.h"
#include "data/rng.h"

namespace clear_sweep {

struct Identity {
  uint8_t skin = 0, hair_color = 0, hair_style = 0, head_shape = 0, eye_color = 0;
  uint8_t shirt_color = 0, shirt_pattern = 0, pattern_color = 0, accessory = 0, accessory_color = 0;
};

/// A random identity; identity_key tells two apart (the generator keeps them distinct).
Identity draw_identity(Rng& rng);
std::string identity_key(const Identity& id);

/// What a caption describes: indices into world::scenes(), positions(), lightings().
struct SceneSpec {
  int scene = 0;
  int position = 1;
  int lighting = 0;
};

/// A size x size image of the person in the scene; `rng` draws jitter, clutter, noise.
Image render_person(const Identity& identity, const SceneSpec& scene, int size, Rng& rng);

/// A real-world object: a shape (world::object_shapes) in a colour (world::object_colors)
/// on a plain, slightly noisy background.
Image render_object(int color, int shape, int size, Rng& rng);

}  // namespace clear_sweep
