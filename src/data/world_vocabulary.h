// The word lists the synthetic world draws from: name syllables, biographical facts,
// scenes and objects. Kept apart from the generator so a reader sees the whole world's
// vocabulary in one place.
#pragma once

#include <string>
#include <vector>

namespace clear_sweep::world {

const std::vector<std::string>& name_syllables();
const std::vector<std::string>& surname_endings();
const std::vector<std::string>& cities();
const std::vector<std::string>& occupations();
const std::vector<std::string>& genres();
const std::vector<std::string>& title_adjectives();
const std::vector<std::string>& title_nouns();
const std::vector<std::string>& awards();
const std::vector<std::string>& hobbies();

/// Background scenes of person images; the renderer draws each one differently.
const std::vector<std::string>& scenes();
/// Where the person stands, as a caption says it (index 0 left, 1 centre, 2 right).
const std::vector<std::string>& positions();
/// Lighting, as a caption says it (index 0 daylight, 1 dusk).
const std::vector<std::string>& lightings();

/// Objects of the real-world set: colour names with their RGB, and shape names.
struct NamedColor {
  std::string name;
  unsigned char rgb[3];
};
const std::vector<NamedColor>& object_colors();
const std::vector<std::string>& object_shapes();

}  // namespace clear_sweep::world
